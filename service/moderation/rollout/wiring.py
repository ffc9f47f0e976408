"""How the worker puts shadow mode and canary rollouts around a stage's judge.

``Rollout.of`` takes the shadow and canary settings (``MODERATION_SHADOW__*``,
``MODERATION_CANARY__*``) and loads the candidate configurations; ``judge`` wraps a stage's
production judge (innermost first): the baseline's config id on every judgement, the canary split,
then the shadow.
``policies`` swaps in the candidate's policy for tenants in a canary share.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from opentelemetry.trace import Tracer

from moderation.errors import ConfigurationError
from moderation.levers import CanarySettings, CanaryUnit, ShadowSettings
from moderation.llm.judge import Judge
from moderation.policy import PolicyLookup
from moderation.rollout.canary import CanaryJudge, CanaryPolicyBook
from moderation.rollout.configs import RolloutConfig, build_classifier, load_config
from moderation.rollout.metrics import RolloutMetrics
from moderation.rollout.shadow import Publish, ShadowJudge
from moderation.rollout.stamp import StampedJudge
from moderation.settings import Settings
from moderation.telemetry import Metrics, Telemetry
from moderation_contracts import ShadowStage, Tier

_log = logging.getLogger(__name__)

_STAGES = {Tier.HAIKU: ShadowStage.TRIAGE, Tier.SONNET: ShadowStage.REVIEW}


@dataclass
class Rollout:
    settings: Settings
    shadow: ShadowSettings
    canary: CanarySettings
    metrics: RolloutMetrics
    tracer: Tracer
    llm_metrics: Metrics | None
    publish: Publish
    shadow_config: RolloutConfig | None = None
    canary_config: RolloutConfig | None = None

    @classmethod
    def of(cls, settings: Settings, telemetry: Telemetry, publish: Publish) -> Rollout:
        """Read and check the rollout settings; ConfigurationError names the variable."""
        shadow, canary = settings.shadow, settings.canary
        made = cls(
            settings,
            shadow,
            canary,
            RolloutMetrics(telemetry.meter_provider.get_meter("moderation.rollout")),
            telemetry.tracer,
            telemetry.metrics,
            publish,
        )
        if shadow.enabled:
            if shadow.config_file is None:
                raise ConfigurationError(
                    "MODERATION_SHADOW__CONFIG_FILE is required when MODERATION_SHADOW__ENABLED"
                )
            made.shadow_config = load_config(shadow.config_file)
            _log.info(
                "shadow mode on: %s beside production on %.1f%% of %s items",
                made.shadow_config.id,
                shadow.share_percent,
                shadow.stages.value,
            )
        if canary.share_percent > 0:
            if canary.config_file is None:
                raise ConfigurationError(
                    "MODERATION_CANARY__CONFIG_FILE is required when "
                    "MODERATION_CANARY__SHARE_PERCENT > 0"
                )
            made.canary_config = load_config(canary.config_file)
            if made.canary_config.policy_file and canary.unit is CanaryUnit.ITEM:
                raise ConfigurationError(
                    "MODERATION_CANARY__UNIT must be tenant when the candidate has a policy_file"
                )
            _log.info(
                "canary: %s judges %.1f%% of %ss",
                made.canary_config.id,
                canary.share_percent,
                canary.unit.value,
            )
        return made

    def policies(self, production: PolicyLookup) -> PolicyLookup:
        """The book the stages look tenants up in (the candidate's for a policy canary)."""
        config = self.canary_config
        if config is None or config.policy_file is None:
            return production
        return CanaryPolicyBook.of(production, config.policies(), self.canary)

    def _classifier(self, config: RolloutConfig, tier: Tier) -> Judge:
        api_key = self.settings.anthropic_api_key
        return build_classifier(
            config,
            tier,
            api_key=api_key.get_secret_value() if api_key else None,
            base_url=self.settings.anthropic_base_url,
            tracer=self.tracer,
            metrics=self.llm_metrics,
        )

    def judge(
        self, production: Judge, tier: Tier, wrap: Callable[[Judge], Judge] = lambda j: j
    ) -> Judge:
        """``production`` with the config id stamped, the canary split and the shadow around it.

        ``wrap`` is applied to the canary candidate's classifier (e.g. the verdict cache).
        """
        stage = _STAGES[tier]
        judge: Judge = StampedJudge(production, self.canary.baseline_id, self.metrics, stage.value)
        if self.canary_config is not None:
            candidate = wrap(self._classifier(self.canary_config, tier))
            stamped = StampedJudge(candidate, self.canary_config.id, self.metrics, stage.value)
            judge = CanaryJudge(judge, stamped, self.canary)
        config = self.shadow_config
        if config is not None and self.shadow.stages.covers(stage.value):
            books = config.policies() if config.policy_file else None
            judge = ShadowJudge(
                judge,
                self._classifier(config, tier),
                stage=stage,
                settings=self.shadow,
                publish=self.publish,
                topic=self.settings.topics.shadow,
                metrics=self.metrics,
                candidate_policies=books,
                baseline_id=self.canary.baseline_id,
            )
        return judge
