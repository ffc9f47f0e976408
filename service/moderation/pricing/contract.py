"""Bridge from a priced call to the contracts' ``TierCost`` that decisions carry."""

from __future__ import annotations

from moderation.pricing.cost import Cost
from moderation.pricing.usage import TokenUsage
from moderation_contracts.common import Tier
from moderation_contracts.cost import COST_DECIMALS, TierCost


def tier_cost(tier: Tier, cost: Cost, usage: TokenUsage) -> TierCost:
    """One call as a ``TierCost`` entry, ready for ``CostBreakdown.add``.

    ``input_tokens`` stays the uncached count, as the contract documents; the model is the
    priced (canonical) model, so dated snapshots of one model share an entry.
    """
    return TierCost(
        tier=tier,
        model=cost.model,
        calls=1,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_input_tokens=usage.cache_read_tokens,
        cache_write_input_tokens=usage.cache_write_tokens,
        cost_usd=round(float(cost.total_usd), COST_DECIMALS),
    )
