"""From an API reply to a judgement, the same way for interactive and batch calls (no I/O).

:func:`reply_of` reads a Messages API ``Message`` (the gateway's answer, or a batch result's
message) into an :class:`LlmReply`; :func:`judgement_of` turns that reply into a
:class:`~moderation.llm.judge.Judgement` under the tenant's policy. Output that does not
validate raises :class:`~moderation.prompts.InvalidModelOutput`: the caller decides what the
retry is (another interactive call, or the interactive fallback of batch mode).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moderation.llm.judge import Judgement, JudgementKind, TierConfig
from moderation.policy import Policy
from moderation.pricing import Cost, TokenUsage, tier_cost
from moderation.prompts import parse_verdict_output
from moderation_contracts import Tier, TierCost, Verdict


@dataclass(frozen=True)
class LlmReply:
    model: str
    response_id: str
    stop_reason: str | None
    tool_input: object | None
    usage: TokenUsage
    cost: Cost
    latency_ms: float
    refusal_category: str | None = None

    def tier_cost(self, tier: Tier) -> TierCost:
        """This call as the contracts' per-tier cost record."""
        return tier_cost(tier, self.model, self.usage, self.cost)


def reply_of(message: Any, cost: Cost, latency_ms: float) -> LlmReply:
    """A Messages API ``Message`` with its price and latency as an :class:`LlmReply`."""
    tool_input = next((block.input for block in message.content if block.type == "tool_use"), None)
    details = getattr(message, "stop_details", None)
    return LlmReply(
        model=message.model,
        response_id=message.id,
        stop_reason=message.stop_reason,
        tool_input=tool_input,
        usage=TokenUsage.of(message.usage),
        cost=cost,
        latency_ms=latency_ms,
        refusal_category=getattr(details, "category", None),
    )


def judgement_of(
    reply: LlmReply, config: TierConfig, policy: Policy, costs: tuple[TierCost, ...]
) -> Judgement:
    """The judgement ``reply`` carries; ``costs`` is what the item spent so far, this call's
    included. Raises InvalidModelOutput when the verdict does not validate."""
    if reply.stop_reason == "refusal":
        detail = f"refused ({reply.refusal_category or 'no category given'})"
        return Judgement(
            JudgementKind.REFUSED,
            costs,
            detail=detail,
            model=reply.model,
            config_id=config.config_id,
        )
    output = parse_verdict_output(reply.tool_input, policy)
    verdict = Verdict(
        tier=config.tier,
        model=reply.model,
        policy_id=policy.policy_id,
        policy_version=policy.version,
        categories=output.categories,
        flagged=policy.is_flagged(output.categories),
        rationale=output.rationale,
        stop_reason=reply.stop_reason,
        latency_ms=round(reply.latency_ms, 3),
        response_id=reply.response_id,
        config_id=config.config_id or None,
    )
    return Judgement(
        JudgementKind.JUDGED,
        costs,
        verdict=verdict,
        model=reply.model,
        config_id=config.config_id,
    )
