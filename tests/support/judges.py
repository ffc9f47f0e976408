"""Fake judges (:class:`~moderation.llm.judge.Judge`) shared by the tests: ``FakeJudge`` answers
with fixed categories (rollout tests: production and candidates), ``ScriptedJudge`` flags by the
text (evaluation tests)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

from moderation.llm.gateway import CallContext, LlmRequest
from moderation.llm.judge import Judgement, JudgementKind, JudgeRequest, TierConfig
from moderation.policy import Policy
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


class Crash(Exception):
    """The run dies here, as when the operator presses Ctrl-C or the machine goes away."""


class ScriptedJudge:
    """Flags ``harassment`` (high, 0.9) when the text contains 'insult'; clean otherwise.

    Costs ``cost_usd`` per call; raises ``fail_on`` 's error on that call number (1-based).
    """

    def __init__(self, tier: Tier = Tier.HAIKU, cost_usd: float = 0.001) -> None:
        self.config = TierConfig(tier, f"fake-{tier.value}", 400)
        self.cost_usd = cost_usd
        self.calls = 0
        self.fail_on: int | None = None

    def build_request(self, ask: JudgeRequest) -> LlmRequest:
        raise NotImplementedError  # the evaluation never builds requests itself

    async def classify(self, ask: JudgeRequest) -> Judgement:
        request, policy = ask.item, ask.policy
        self.calls += 1
        if self.fail_on == self.calls:
            raise Crash
        insult = "insult" in (request.text or "")
        scores = [CategoryScore(category="harassment", severity=Severity.HIGH, confidence=0.9)]
        categories = scores if insult else []
        verdict = Verdict(
            tier=self.config.tier,
            model=self.config.model,
            policy_id=policy.policy_id,
            policy_version=policy.version,
            categories=categories,
            flagged=policy.is_flagged(categories),
        )
        cost = TierCost(
            tier=self.config.tier, model=self.config.model, calls=1, cost_usd=self.cost_usd
        )
        return Judgement(JudgementKind.JUDGED, (cost,), verdict=verdict, model=self.config.model)
