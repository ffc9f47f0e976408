"""The settings of the speed, cost and rollout levers, nested under
:class:`~moderation.settings.Settings` (one root reads the environment):

- ``MODERATION_VERDICT_CACHE__*``: the in-process verdict cache (default on);
- ``MODERATION_BATCH__*``: batch mode through Message Batches (default off);
- ``MODERATION_SHADOW__*``: a candidate configuration judged beside production;
- ``MODERATION_CANARY__*``: a share of traffic judged by a candidate configuration.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field

CONFIG_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"


class ShadowStages(StrEnum):
    TRIAGE = "triage"
    REVIEW = "review"
    BOTH = "both"

    def covers(self, stage: str) -> bool:
        return self is ShadowStages.BOTH or self.value == stage


class CanaryUnit(StrEnum):
    TENANT = "tenant"  # whole tenants move together (required when the policy changes)
    ITEM = "item"  # a share of every tenant's items


class VerdictCacheSettings(BaseModel):
    """``MODERATION_VERDICT_CACHE__ENABLED=false`` turns the cache off (default on)."""

    enabled: bool = Field(default=True, description="turn the verdict cache on or off")
    max_entries: int = Field(
        default=50_000, ge=1, le=10_000_000, description="per worker; least recently used go"
    )
    max_age_s: float = Field(
        default=3600.0, gt=0, description="a verdict older than this is asked for again"
    )
    review: bool = Field(default=True, description="also cache the review tier's verdicts")


class BatchSettings(BaseModel):
    """Off by default: batch mode trades latency (minutes on the real API) for a 50% price.

    Turn it on for a triage deployment that works a backlog or low-priority traffic, e.g.
    ``MODERATION_BATCH__ENABLED=true MODERATION_BATCH__MAX_WAIT_MS=2000``.
    """

    enabled: bool = Field(default=False, description="turn batch mode on or off")
    tiers: str = Field(
        default="triage",
        pattern=r"^(triage|review)(,(triage|review))*$",
        description="comma-separated stages whose calls go through batches",
    )
    max_items: int = Field(default=1_000, ge=1, le=100_000, description="items per batch")
    max_wait_ms: float = Field(default=2_000.0, gt=0, description="collect for at most this long")
    poll_interval_s: float = Field(
        default=1.0, gt=0, description="how often a submitted batch is polled"
    )
    give_up_s: float = Field(
        default=40.0,
        gt=0,
        description="cancel and fall back to interactive calls after this long; keep it under "
        "MODERATION_ITEM_DEADLINE_S",
    )

    def covers(self, stage: str) -> bool:
        """True when batch mode is on for ``stage`` (``triage`` or ``review``)."""
        return self.enabled and stage in self.tiers.split(",")


class ShadowSettings(BaseModel):
    """``MODERATION_SHADOW__ENABLED=true`` plus a candidate ``CONFIG_FILE`` turn shadow mode on."""

    enabled: bool = Field(default=False, description="run a candidate beside production")
    config_file: Path | None = Field(
        default=None, description="candidate configuration (YAML: id, models, policy_file)"
    )
    stages: ShadowStages = Field(
        default=ShadowStages.TRIAGE, description="triage, review or both: whose judge is shadowed"
    )
    share_percent: float = Field(
        default=10.0, ge=0, le=100, description="share of items shadowed (hash of content_id)"
    )
    max_in_flight: int = Field(
        default=4,
        ge=1,
        le=4096,
        description="shadow calls at once; beyond it items are skipped (rate <= this / latency)",
    )
    circuit_failure_threshold: int = Field(
        default=5, ge=1, description="consecutive failed shadow calls that pause shadowing"
    )
    circuit_cool_down_s: float = Field(default=60.0, gt=0, description="pause before a probe")
    salt: str = Field(default="shadow", description="changes which items fall in the share")


class CanarySettings(BaseModel):
    """``MODERATION_CANARY__SHARE_PERCENT`` moves traffic; 0 rolls back, 100 promotes."""

    baseline_id: str = Field(
        default="baseline",
        pattern=CONFIG_ID_PATTERN,
        description="config id recorded on decisions made by the worker's own settings",
    )
    config_file: Path | None = Field(
        default=None, description="candidate configuration (YAML: id, models, policy_file)"
    )
    share_percent: float = Field(
        default=0.0, ge=0, le=100, description="share routed to the candidate (0 = off)"
    )
    unit: CanaryUnit = Field(
        default=CanaryUnit.TENANT, description="tenant or item: what the share hashes"
    )
    salt: str = Field(default="canary", description="changes which tenants or items move")
