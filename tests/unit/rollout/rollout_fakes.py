"""Judges for the rollout tests: a fixed production answer, a controllable candidate."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from moderation.llm.gateway import CallContext, LlmRequest
from moderation.llm.judge import Judgement, JudgementKind, JudgeRequest, TierConfig
from moderation.policy import Policy
from moderation.rollout.metrics import RolloutMetrics
from moderation.streaming.records import Outbound
from moderation_contracts import (
    CategoryScore,
    ModerationRequest,
    Severity,
    Tier,
    TierCost,
    Verdict,
)


def request(content_id: str = "c-1", tenant_id: str = "acme") -> ModerationRequest:
    return ModerationRequest(
        content_id=content_id,
        tenant_id=tenant_id,
        text="some words",
        submitted_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def context(item: ModerationRequest) -> CallContext:
    return CallContext("triage", item.tenant_id, item.content_id, "hash")


def judged(
    policy: Policy, model: str, categories: list[str], cost_usd: float, config_id: str = ""
) -> Judgement:
    scores = [CategoryScore(category=c, severity=Severity.HIGH, confidence=0.9) for c in categories]
    verdict = Verdict(
        tier=Tier.HAIKU,
        model=model,
        policy_id=policy.policy_id,
        policy_version=policy.version,
        categories=scores,
        flagged=policy.is_flagged(scores),
    )
    cost = TierCost(tier=Tier.HAIKU, model=model, calls=1, cost_usd=cost_usd)
    return Judgement(
        JudgementKind.JUDGED, (cost,), verdict=verdict, model=model, config_id=config_id
    )


@dataclass
class FakeJudge:
    """Answers with ``categories`` flagged; ``gate`` (when set) holds every call until opened."""

    model: str
    categories: list[str] = field(default_factory=list)
    cost_usd: float = 0.001
    config_id: str = ""
    kind: JudgementKind = JudgementKind.JUDGED
    error: Exception | None = None
    gate: asyncio.Event | None = None
    calls: list[str] = field(default_factory=list)

    @property
    def config(self) -> TierConfig:
        return TierConfig(Tier.HAIKU, self.model, 400, config_id=self.config_id)

    def build_request(self, ask: JudgeRequest) -> LlmRequest:
        return LlmRequest(model=self.model, max_tokens=400, system=(), messages=())

    async def classify(self, ask: JudgeRequest) -> Judgement:
        policy, context = ask.policy, ask.context
        self.calls.append(context.stage)
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        if self.kind is not JudgementKind.JUDGED:
            return Judgement(self.kind, (), detail="down", model=self.model)
        return judged(policy, self.model, self.categories, self.cost_usd, self.config_id)


@dataclass
class Published:
    records: list[Outbound] = field(default_factory=list)

    async def __call__(self, record: Outbound) -> None:
        self.records.append(record)


def metrics() -> tuple[RolloutMetrics, InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    return RolloutMetrics(provider.get_meter("test")), reader


def points(reader: InMemoryMetricReader, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Data points of metric ``name``: sorted attribute pairs -> value."""
    found: dict[tuple[tuple[str, str], ...], float] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != name:
                    continue
                for point in metric.data.data_points:
                    key = tuple(sorted((k, str(v)) for k, v in point.attributes.items()))
                    found[key] = point.value  # type: ignore[union-attr]  # sums only here
    return found
