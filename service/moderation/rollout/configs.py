"""A configuration a stage can judge with: models, tier settings and a policy file, with an id.

The same YAML file serves ``moderation eval --config``, shadow mode and canary rollouts::

    id: haiku-next                 # recorded on decisions and comparisons
    policy_file: policy.yaml       # optional, relative to this file; default: the packaged policy
    triage: {model: claude-haiku-4-5, max_tokens: 400}
    review: {model: claude-sonnet-4-6, max_tokens: 800, thinking_budget: 0}

Tier settings are the worker's own (``moderation.settings.TriageTier``/``ReviewTier``), so a
config can change anything a ``MODERATION_TRIAGE__*`` variable can.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from opentelemetry.trace import Tracer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from moderation.errors import ConfigurationError
from moderation.levers import CONFIG_ID_PATTERN
from moderation.llm.classify import Classifier
from moderation.llm.gateway import ModelGateway, Resilience, build_client
from moderation.llm.judge import TierConfig
from moderation.policy import PolicyBook, PolicyError
from moderation.settings import ModelTier, ReviewTier, Settings, TriageTier
from moderation.telemetry import Metrics
from moderation_contracts import Tier


class RolloutConfig(BaseModel):
    """One named configuration of the two model tiers and the policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=CONFIG_ID_PATTERN)
    policy_file: Path | None = None
    triage: TriageTier = TriageTier()
    review: ReviewTier = ReviewTier()

    @model_validator(mode="before")
    @classmethod
    def _known_tier_settings(cls, data: Any) -> Any:
        """A misspelt tier setting is an error here (the worker's env settings ignore extras)."""
        if isinstance(data, dict):
            for name, model in (("triage", TriageTier), ("review", ReviewTier)):
                given = data.get(name)
                if isinstance(given, dict):
                    unknown = sorted(set(given) - set(model.model_fields))
                    if unknown:
                        raise ValueError(f"{name}: unknown settings {unknown}")
        return data

    def tier(self, tier: Tier) -> ModelTier:
        return self.triage if tier is Tier.HAIKU else self.review

    def tier_config(self, tier: Tier) -> TierConfig:
        settings = self.tier(tier)
        return TierConfig(
            tier, settings.model, settings.max_tokens, settings.thinking_budget, config_id=self.id
        )

    def policies(self) -> PolicyBook:
        """The configuration's policy book (the packaged default when no file is named)."""
        try:
            return PolicyBook.load(self.policy_file)
        except PolicyError as error:
            raise ConfigurationError(f"config {self.id}: {error}") from error


def load_config(path: Path) -> RolloutConfig:
    """Read a configuration file; a relative ``policy_file`` is resolved next to it."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(f"cannot read config {path}: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise ConfigurationError(f"config {path} is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ConfigurationError(f"config {path}: expected a mapping with id, triage, review")
    if isinstance(data.get("policy_file"), str):
        data["policy_file"] = str((path.parent / data["policy_file"]).resolve())
    try:
        return RolloutConfig.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top)"
        raise ConfigurationError(f"config {path}: {where}: {first['msg']}") from error


def from_settings(settings: Settings, config_id: str) -> RolloutConfig:
    """The configuration the worker's own settings describe (``MODERATION_TRIAGE__*`` etc.)."""
    return RolloutConfig(
        id=config_id,
        policy_file=settings.policy_file,
        triage=settings.triage,
        review=settings.review,
    )


def build_classifier(
    config: RolloutConfig,
    tier: Tier,
    *,
    api_key: str | None,
    base_url: str | None,
    tracer: Tracer,
    metrics: Metrics | None,
) -> Classifier:
    """A classifier for one tier of ``config`` with its own gateway (own circuits and pacing)."""
    settings = config.tier(tier)
    client = build_client(api_key, base_url, timeout_s=settings.timeout_s)
    gateway = ModelGateway(client, tracer, metrics=metrics, resilience=Resilience.of(settings))
    return Classifier(gateway, config.tier_config(tier))
