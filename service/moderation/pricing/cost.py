"""The cost of one LLM call, split by what was billed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Cost:
    """Exact cost of one call in ``currency``; every part is a ``Decimal``.

    ``priced`` is False only for the explicit zero that ``PriceTable.cost_or_zero`` returns for a
    model the table does not know: such a cost is a gap in the data, not a free call.
    """

    model: str
    input_usd: Decimal = ZERO
    output_usd: Decimal = ZERO
    cache_write_5m_usd: Decimal = ZERO
    cache_write_1h_usd: Decimal = ZERO
    cache_read_usd: Decimal = ZERO
    batch: bool = False
    long_context: bool = False
    priced: bool = True
    currency: str = "USD"

    @property
    def cache_write_usd(self) -> Decimal:
        """Both cache-write tiers together."""
        return self.cache_write_5m_usd + self.cache_write_1h_usd

    @property
    def total_usd(self) -> Decimal:
        """Sum of all parts."""
        return (
            self.input_usd
            + self.output_usd
            + self.cache_write_5m_usd
            + self.cache_write_1h_usd
            + self.cache_read_usd
        )

    def parts(self) -> dict[str, Decimal]:
        """The per-component breakdown, keyed by component name."""
        return {
            "input": self.input_usd,
            "output": self.output_usd,
            "cache_write_5m": self.cache_write_5m_usd,
            "cache_write_1h": self.cache_write_1h_usd,
            "cache_read": self.cache_read_usd,
        }

    @classmethod
    def unpriced(cls, model: str) -> Cost:
        """The explicit zero for a model without a price."""
        return cls(model=model, priced=False)
