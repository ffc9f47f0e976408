"""Settings of batch mode (``MODERATION_BATCH__*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BatchSettings(BaseSettings):
    """Off by default: batch mode trades latency (minutes on the real API) for a 50% price.

    Turn it on for a triage deployment that works a backlog or low-priority traffic, e.g.
    ``MODERATION_BATCH__ENABLED=true MODERATION_BATCH__MAX_WAIT_MS=2000``.
    """

    model_config = SettingsConfigDict(env_prefix="MODERATION_BATCH__", extra="ignore")

    enabled: bool = False
    tiers: str = Field(
        default="triage",
        pattern=r"^(triage|review)(,(triage|review))*$",
        description="comma-separated stages whose calls go through batches",
    )
    max_items: int = Field(default=1_000, ge=1, le=100_000, description="items per batch")
    max_wait_ms: float = Field(default=2_000.0, gt=0, description="collect for at most this long")
    poll_interval_s: float = Field(default=1.0, gt=0)
    give_up_s: float = Field(
        default=40.0,
        gt=0,
        description="cancel and fall back to interactive calls after this long; keep it under "
        "MODERATION_ITEM_DEADLINE_S",
    )

    def covers(self, stage: str) -> bool:
        """True when batch mode is on for ``stage`` (``triage`` or ``review``)."""
        return self.enabled and stage in self.tiers.split(",")
