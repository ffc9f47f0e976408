"""Settings of the verdict cache (``MODERATION_VERDICT_CACHE__*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class VerdictCacheSettings(BaseSettings):
    """``MODERATION_VERDICT_CACHE__ENABLED=false`` turns the cache off (default on)."""

    model_config = SettingsConfigDict(env_prefix="MODERATION_VERDICT_CACHE__", extra="ignore")

    enabled: bool = True
    max_entries: int = Field(
        default=50_000, ge=1, le=10_000_000, description="per worker; least recently used go"
    )
    max_age_s: float = Field(
        default=3600.0, gt=0, description="a verdict older than this is asked for again"
    )
    review: bool = Field(default=True, description="also cache the review tier's verdicts")
