"""Bridge from a priced call to the contracts' ``TierCost`` that decisions carry."""

from __future__ import annotations

from moderation.pricing.cost import Cost
from moderation.pricing.usage import TokenUsage
from moderation_contracts.common import Tier
from moderation_contracts.cost import COST_DECIMALS, TierCost


def tier_cost(tier: Tier, model: str, usage: TokenUsage, cost: Cost) -> TierCost:
    """One call as a ``TierCost`` entry, ready for ``CostBreakdown.add``: the one builder of the
    per-tier cost record, for interactive and batch calls alike.

    ``input_tokens`` stays the uncached count, as the contract documents; ``model`` is the
    model the API answered with.
    """
    return TierCost(
        tier=tier,
        model=model,
        calls=1,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_input_tokens=usage.cache_read_tokens,
        cache_write_input_tokens=usage.cache_write_tokens,
        cost_usd=round(float(cost.total_usd), COST_DECIMALS),
    )
