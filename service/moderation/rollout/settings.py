"""Settings of shadow mode (``MODERATION_SHADOW__*``) and canaries (``MODERATION_CANARY__*``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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


class ShadowSettings(BaseSettings):
    """``MODERATION_SHADOW__ENABLED=true`` plus a candidate ``CONFIG_FILE`` turn shadow mode on."""

    model_config = SettingsConfigDict(env_prefix="MODERATION_SHADOW__", extra="ignore")

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


class CanarySettings(BaseSettings):
    """``MODERATION_CANARY__SHARE_PERCENT`` moves traffic; 0 rolls back, 100 promotes."""

    model_config = SettingsConfigDict(env_prefix="MODERATION_CANARY__", extra="ignore")

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
