"""A scripted judge for the evaluation tests: no network, verdicts decided by the text."""

from __future__ import annotations

from moderation.llm.gateway import LlmRequest
from moderation.llm.judge import Judgement, JudgementKind, JudgeRequest, TierConfig
from moderation_contracts import CategoryScore, Severity, Tier, TierCost, Verdict


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
