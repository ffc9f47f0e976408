"""Settings of the verdict cache (``MODERATION_VERDICT_CACHE__*``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CacheScope(StrEnum):
    GLOBAL = "global"  # every worker reads every entry (faust GlobalTable)
    PARTITIONED = "partitioned"  # a worker reads the entries of the partitions it owns


class VerdictCacheSettings(BaseSettings):
    """``MODERATION_VERDICT_CACHE__ENABLED=false`` turns the cache off (default on)."""

    model_config = SettingsConfigDict(env_prefix="MODERATION_VERDICT_CACHE__", extra="ignore")

    enabled: bool = True
    scope: CacheScope = CacheScope.GLOBAL
    table: str = Field(default="verdict-cache", pattern=r"^[a-z][a-z0-9-]{0,48}$")
    review: bool = Field(default=True, description="also cache the review tier's verdicts")
