"""Errors raised while pricing LLM usage."""

from __future__ import annotations


class PricingError(Exception):
    """Base class for price-table problems (bad data file, unknown model)."""


class PriceTableError(PricingError):
    """The price table data is malformed."""


class UnknownModelError(PricingError, LookupError):
    """The model id (or its dated snapshot) is not in the price table."""

    def __init__(self, model: str) -> None:
        super().__init__(f"no price for model {model!r}; add it to moderation/pricing/prices.yaml")
        self.model = model
