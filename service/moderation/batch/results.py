"""Pure translation between one item's Messages call and one line of a batch (no I/O)."""

from __future__ import annotations

from typing import Any

from moderation.llm.classify import Judgement, JudgementKind, TierConfig
from moderation.llm.gateway import LlmRequest
from moderation.policy import Policy
from moderation.pricing import Cost, PriceTable, TokenUsage
from moderation.prompts import InvalidModelOutput, parse_verdict_output
from moderation_contracts import TierCost, Verdict


def batch_params(call: LlmRequest) -> dict[str, Any]:
    """The ``params`` of a batch request: the same body the gateway sends interactively."""
    return call.body()


def custom_id(sequence: int) -> str:
    """Unique within a batch and within ``^[a-zA-Z0-9_-]{1,64}$``; carries no content."""
    return f"item-{sequence}"


def batch_cost(config: TierConfig, model: str, usage: TokenUsage, prices: PriceTable) -> TierCost:
    """One batch call as the contracts' ``TierCost``, priced with the batch discount."""
    cost: Cost = prices.cost_or_zero(model, usage, batch=True)
    return TierCost(
        tier=config.tier,
        model=model,
        calls=1,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_input_tokens=usage.cache_read_tokens,
        cache_write_input_tokens=usage.cache_write_tokens,
        cost_usd=float(cost.total_usd),
    )


def judgement_of(
    message: Any, config: TierConfig, policy: Policy, prices: PriceTable
) -> tuple[Judgement | None, TierCost]:
    """Read a ``succeeded`` result's message into a judgement and its cost.

    The judgement is None when the output does not validate: the caller then asks the model
    again interactively, which is the ladder's one retry.
    """
    usage = TokenUsage.of(message.usage)
    cost = batch_cost(config, message.model, usage, prices)
    if message.stop_reason == "refusal":
        details = getattr(message, "stop_details", None)
        category = getattr(details, "category", None) or "no category given"
        refused = Judgement(
            JudgementKind.REFUSED, (cost,), detail=f"refused ({category})", model=message.model
        )
        return refused, cost
    tool_input = next((b.input for b in message.content if b.type == "tool_use"), None)
    try:
        output = parse_verdict_output(tool_input, policy)
    except InvalidModelOutput:
        return None, cost
    verdict = Verdict(
        tier=config.tier,
        model=message.model,
        policy_id=policy.policy_id,
        policy_version=policy.version,
        categories=output.categories,
        flagged=policy.is_flagged(output.categories),
        rationale=output.rationale,
        stop_reason=message.stop_reason,
        response_id=message.id,
    )
    return Judgement(JudgementKind.JUDGED, (cost,), verdict=verdict, model=message.model), cost
