"""LLM pricing: a data-driven price table and exact ``Decimal`` cost per call.

``PriceTable.default().cost(model, usage, batch=False)`` or ``cost_of(...)`` return a ``Cost``
with ``total_usd`` and its parts; an unknown model raises ``UnknownModelError``
(``cost_or_zero`` returns an explicit ``priced=False`` zero instead). ``tier_cost`` turns a
priced call into the contracts' ``TierCost``.
"""

from moderation.pricing.contract import tier_cost
from moderation.pricing.cost import Cost
from moderation.pricing.errors import PriceTableError, PricingError, UnknownModelError
from moderation.pricing.table import LongContextTier, ModelPrice, PriceTable, cost_of
from moderation.pricing.usage import SupportsUsage, TokenUsage, UsageLike

__all__ = [
    "Cost",
    "LongContextTier",
    "ModelPrice",
    "PriceTable",
    "PriceTableError",
    "PricingError",
    "SupportsUsage",
    "TokenUsage",
    "UnknownModelError",
    "UsageLike",
    "cost_of",
    "tier_cost",
]
