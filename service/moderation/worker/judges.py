"""The judge each model stage asks, built from the inside out:

1. the tier's interactive :class:`~moderation.llm.classify.Classifier` (the gateway retries:
   paced, budgeted, circuit-aware; the SDK's own retries stay off);
2. batch mode around it when ``MODERATION_BATCH__*`` covers the stage (the classifier stays
   the fallback);
3. the verdict cache (``MODERATION_VERDICT_CACHE__*``; the review tier's only when
   ``REVIEW`` is on);
4. the rollout: the baseline's config id, a canary split and a shadow
   (``MODERATION_CANARY__*``, ``MODERATION_SHADOW__*``); a canary candidate sits behind the
   same cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import anthropic

from moderation.batch.wiring import batched
from moderation.cache.store import VerdictStore
from moderation.cache.wiring import cached
from moderation.llm.classify import Classifier
from moderation.llm.gateway import ModelGateway, Resilience, build_client
from moderation.llm.judge import Judge, TierConfig
from moderation.pricing import PriceTable
from moderation.rollout.wiring import Rollout
from moderation.settings import ModelTier, Settings
from moderation.telemetry import Telemetry
from moderation_contracts import Tier


@dataclass
class JudgeChain:
    """Builds the full judge of the triage (Haiku) and review (Sonnet) tiers."""

    settings: Settings
    telemetry: Telemetry
    rollout: Rollout
    verdicts: VerdictStore | None
    prices: PriceTable
    #: The model clients built so far; the worker closes them when it stops.
    clients: list[anthropic.AsyncAnthropic] = field(default_factory=list, init=False)

    @property
    def api_key(self) -> str | None:
        key = self.settings.anthropic_api_key
        return key.get_secret_value() if key else None

    def classifier(self, tier: Tier, config: ModelTier) -> Classifier:
        """The tier's interactive classifier."""
        client = build_client(
            self.api_key,
            self.settings.anthropic_base_url,
            timeout_s=config.timeout_s,
            transport=self.settings.http_transport,
        )
        self.clients.append(client)
        gateway = ModelGateway(
            client,
            self.telemetry.tracer,
            prices=self.prices,
            metrics=self.telemetry.metrics,
            resilience=Resilience.of(config),
        )
        return Classifier(
            gateway, TierConfig(tier, config.model, config.max_tokens, config.thinking_budget)
        )

    def _batched(self, judge: Judge, stage: str) -> Judge:
        return batched(
            judge,
            self.settings.batch,
            stage=stage,
            api_key=self.api_key,
            base_url=self.settings.anthropic_base_url,
            tracer=self.telemetry.tracer,
            metrics=self.telemetry.metrics,
        )

    def triage(self) -> Judge:
        judge = self._batched(self.classifier(Tier.HAIKU, self.settings.triage), "triage")
        store = self.verdicts
        return self.rollout.judge(cached(judge, store), Tier.HAIKU, lambda j: cached(j, store))

    def review(self) -> Judge:
        judge = self._batched(self.classifier(Tier.SONNET, self.settings.review), "review")
        store = self.verdicts if self.settings.verdict_cache.review else None
        return self.rollout.judge(cached(judge, store), Tier.SONNET, lambda j: cached(j, store))
