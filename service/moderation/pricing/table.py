"""The price table: per-model token prices loaded from ``prices.yaml``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from moderation.pricing.cost import Cost
from moderation.pricing.errors import PriceTableError, UnknownModelError
from moderation.pricing.usage import TokenUsage, UsageLike

_SNAPSHOT = re.compile(r"^(?P<base>.+)-\d{8}$")


class LongContextTier(BaseModel):
    """A surcharge on every component once the prompt exceeds a size."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    above_prompt_tokens: int = Field(gt=0)
    multiplier: Decimal = Field(gt=0)


class ModelPrice(BaseModel):
    """Prices of one model, per ``PriceTable.per_tokens`` tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    cache_write_5m: Decimal = Field(ge=0)
    cache_write_1h: Decimal = Field(ge=0)
    cache_read: Decimal = Field(ge=0)
    batch_discount: Decimal = Field(ge=0, le=1)
    aliases: tuple[str, ...] = ()
    long_context: LongContextTier | None = None


class _TableFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    currency: str
    per_tokens: int = Field(gt=0)
    models: dict[str, ModelPrice]


class PriceTable:
    """Looks up a model's prices and turns token usage into a ``Cost``.

    Dated snapshot ids (``claude-haiku-4-5-20251001``) resolve to their base model, whether or not
    they are listed as aliases. An unknown model raises ``UnknownModelError`` from ``cost``;
    ``cost_or_zero`` returns ``Cost.unpriced(model)`` instead, for telemetry that must not fail.
    """

    def __init__(
        self, models: Mapping[str, ModelPrice], *, currency: str = "USD", per_tokens: int = 10**6
    ) -> None:
        self.currency = currency
        self.per_tokens = per_tokens
        self._models = dict(models)
        self._ids: dict[str, str] = {}
        for name, price in self._models.items():
            for model_id in (name, *price.aliases):
                if self._ids.setdefault(model_id, name) != name:
                    raise PriceTableError(f"model id {model_id!r} is listed twice")

    @classmethod
    def from_yaml(cls, text: str) -> PriceTable:
        """Parse a table in the ``prices.yaml`` format."""
        try:
            data = _TableFile.model_validate(yaml.safe_load(text))
        except (yaml.YAMLError, ValidationError) as exc:
            raise PriceTableError(f"invalid price table: {exc}") from exc
        return cls(data.models, currency=data.currency, per_tokens=data.per_tokens)

    @classmethod
    def default(cls) -> PriceTable:
        """The table shipped with the package (loaded once)."""
        return _default_table()

    def with_models(self, extra: Mapping[str, ModelPrice]) -> PriceTable:
        """This table plus ``extra`` (configured prices replace listed ones of the same name)."""
        return PriceTable(
            {**self._models, **extra}, currency=self.currency, per_tokens=self.per_tokens
        )

    @property
    def models(self) -> tuple[str, ...]:
        """Canonical model names in the table."""
        return tuple(self._models)

    def resolve(self, model: str) -> str:
        """Canonical name for a model id, alias or dated snapshot; raises ``UnknownModelError``."""
        if model in self._ids:
            return self._ids[model]
        match = _SNAPSHOT.match(model)
        if match and match["base"] in self._ids:
            return self._ids[match["base"]]
        raise UnknownModelError(model)

    def price(self, model: str) -> ModelPrice:
        """Prices for a model id (see ``resolve``)."""
        return self._models[self.resolve(model)]

    def cost(self, model: str, usage: UsageLike, *, batch: bool = False) -> Cost:
        """Exact cost of one call; ``batch`` applies the Message Batches discount."""
        price = self.price(model)
        tokens = TokenUsage.of(usage)
        factor = Decimal(1)
        tier = price.long_context
        long_context = tier is not None and tokens.prompt_tokens > tier.above_prompt_tokens
        if tier is not None and long_context:
            factor *= tier.multiplier
        if batch:
            factor *= 1 - price.batch_discount

        def part(count: int, per_unit: Decimal) -> Decimal:
            return count * per_unit * factor / self.per_tokens

        return Cost(
            model=self.resolve(model),
            input_usd=part(tokens.input_tokens, price.input),
            output_usd=part(tokens.output_tokens, price.output),
            cache_write_5m_usd=part(tokens.cache_write_5m_tokens, price.cache_write_5m),
            cache_write_1h_usd=part(tokens.cache_write_1h_tokens, price.cache_write_1h),
            cache_read_usd=part(tokens.cache_read_tokens, price.cache_read),
            batch=batch,
            long_context=long_context,
            currency=self.currency,
        )

    def cost_or_zero(self, model: str, usage: UsageLike, *, batch: bool = False) -> Cost:
        """Like ``cost`` but an unknown model gives ``Cost.unpriced(model)`` (``priced=False``)."""
        try:
            return self.cost(model, usage, batch=batch)
        except UnknownModelError:
            return Cost.unpriced(model)


@cache
def _default_table() -> PriceTable:
    text = resources.files("moderation.pricing").joinpath("prices.yaml").read_text("utf-8")
    return PriceTable.from_yaml(text)


def cost_of(model: str, usage: UsageLike, batch: bool = False) -> Cost:
    """Cost of one call with the default price table; raises ``UnknownModelError``."""
    return PriceTable.default().cost(model, usage, batch=batch)
