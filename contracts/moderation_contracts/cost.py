"""Cost of the LLM calls made for one item, accumulated across tiers and carried to the decision."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, NonNegativeInt, model_validator

from moderation_contracts.common import ContractModel, Identifier, Tier
from moderation_contracts.limits import MAX_COST_TIERS

COST_DECIMALS = 9
"""Totals are rounded to nano-dollars so float sums stay readable and comparable."""

_TOTAL_TOLERANCE = 1e-6


class TierCost(ContractModel):
    """Calls, tokens and USD spent on one model in one tier."""

    tier: Tier
    model: Identifier
    calls: NonNegativeInt = 0
    input_tokens: NonNegativeInt = Field(
        default=0, description="Uncached input tokens (Anthropic usage.input_tokens)."
    )
    output_tokens: NonNegativeInt = 0
    cache_read_input_tokens: NonNegativeInt = 0
    cache_write_input_tokens: NonNegativeInt = 0
    cost_usd: float = Field(default=0.0, ge=0.0)

    def plus(self, other: TierCost) -> TierCost:
        """Sum of two costs for the same tier and model."""
        if (self.tier, self.model) != (other.tier, other.model):
            raise ValueError("only costs of the same tier and model can be summed")
        return TierCost(
            tier=self.tier,
            model=self.model,
            calls=self.calls + other.calls,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_input_tokens=self.cache_read_input_tokens + other.cache_read_input_tokens,
            cache_write_input_tokens=(
                self.cache_write_input_tokens + other.cache_write_input_tokens
            ),
            cost_usd=round(self.cost_usd + other.cost_usd, COST_DECIMALS),
        )


class CostBreakdown(ContractModel):
    """Cumulative cost of one item; ``total_usd`` always equals the sum over ``tiers``."""

    total_usd: float = Field(default=0.0, ge=0.0)
    tiers: list[TierCost] = Field(default_factory=list, max_length=MAX_COST_TIERS)
    currency: Literal["USD"] = "USD"

    @model_validator(mode="after")
    def _total_matches(self) -> Self:
        expected = sum(tier.cost_usd for tier in self.tiers)
        if abs(expected - self.total_usd) > _TOTAL_TOLERANCE:
            raise ValueError(
                f"total_usd {self.total_usd} does not equal the sum of tiers {expected}"
            )
        return self

    def add(self, cost: TierCost) -> CostBreakdown:
        """A new breakdown with ``cost`` merged into the entry for its tier and model."""
        tiers = list(self.tiers)
        for index, existing in enumerate(tiers):
            if (existing.tier, existing.model) == (cost.tier, cost.model):
                tiers[index] = existing.plus(cost)
                break
        else:
            tiers.append(cost)
        return CostBreakdown(
            total_usd=round(sum(t.cost_usd for t in tiers), COST_DECIMALS), tiers=tiers
        )

    def merge(self, other: CostBreakdown) -> CostBreakdown:
        """A new breakdown holding the costs of both."""
        result = self
        for cost in other.tiers:
            result = result.add(cost)
        return result
