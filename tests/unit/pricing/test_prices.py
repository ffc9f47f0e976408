"""Cost math against figures computed by hand from REFERENCE.md's price list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from anthropic.types import CacheCreation, Usage

from moderation.pricing import (
    Cost,
    PriceTable,
    PriceTableError,
    TokenUsage,
    UnknownModelError,
    cost_of,
    tier_cost,
)
from moderation_contracts.common import Tier
from moderation_contracts.cost import CostBreakdown

D = Decimal


def test_haiku_4_5_every_component() -> None:
    # 2,000 in x $1/M = 0.002; 300 out x $5/M = 0.0015; 4,096 5m writes x $1.25/M = 0.00512;
    # 1,000 1h writes x $2/M = 0.002; 10,000 reads x $0.10/M = 0.001.  Total 0.01162.
    usage = TokenUsage(
        input_tokens=2_000,
        output_tokens=300,
        cache_write_5m_tokens=4_096,
        cache_write_1h_tokens=1_000,
        cache_read_tokens=10_000,
    )
    cost = cost_of("claude-haiku-4-5", usage)
    assert cost.parts() == {
        "input": D("0.002"),
        "output": D("0.0015"),
        "cache_write_5m": D("0.00512"),
        "cache_write_1h": D("0.002"),
        "cache_read": D("0.001"),
    }
    assert cost.total_usd == D("0.01162")
    assert cost.model == "claude-haiku-4-5"
    assert cost.priced
    assert not cost.batch


def test_dated_snapshots_resolve_to_their_model() -> None:
    table = PriceTable.default()
    usage = TokenUsage(input_tokens=1_000_000)
    assert table.cost("claude-haiku-4-5-20251001", usage).total_usd == D(1)
    assert table.cost("claude-sonnet-4-5-20250929", usage).total_usd == D(3)
    assert table.cost("claude-opus-4-5-20251101", usage).total_usd == D(5)
    # Not listed as an alias, but shaped like a dated snapshot of a known model.
    assert table.resolve("claude-sonnet-4-6-20260217") == "claude-sonnet-4-6"


@pytest.mark.parametrize(
    ("model", "input_price", "output_price"),
    [
        ("claude-haiku-4-5", "1", "5"),
        ("claude-sonnet-4-6", "3", "15"),
        ("claude-sonnet-4-5", "3", "15"),
        ("claude-opus-4-5", "5", "25"),
        ("claude-haiku-5-5", "0.10", "0.50"),
        ("claude-sonnet-5-5", "2", "10"),
        ("claude-opus-5-5", "4", "20"),
    ],
)
def test_table_matches_reference_and_multipliers(
    model: str, input_price: str, output_price: str
) -> None:
    price = PriceTable.default().price(model)
    assert price.input == D(input_price)
    assert price.output == D(output_price)
    assert price.cache_write_5m == price.input * D("1.25")
    assert price.cache_write_1h == price.input * 2
    assert price.cache_read == price.input * D("0.1")
    assert price.batch_discount == D("0.5")


def test_batch_halves_every_part() -> None:
    usage = TokenUsage(input_tokens=1_000, output_tokens=1_000, cache_read_tokens=1_000)
    normal = cost_of("claude-sonnet-4-6", usage)
    batch = cost_of("claude-sonnet-4-6", usage, batch=True)
    # 1,000 x (3 + 15 + 0.3) / 1M = 0.0183; half is 0.00915.
    assert normal.total_usd == D("0.0183")
    assert batch.total_usd == D("0.00915")
    assert batch.batch


def test_haiku_5_5_long_context_tier_starts_above_100k_prompt_tokens() -> None:
    at_limit = TokenUsage(input_tokens=60_000, cache_read_tokens=40_000, output_tokens=1_000)
    above = TokenUsage(input_tokens=60_001, cache_read_tokens=40_000, output_tokens=1_000)
    base = cost_of("claude-haiku-5-5", at_limit)
    # 60,000 x 0.10 + 40,000 x 0.01 + 1,000 x 0.50 = 6,000 + 400 + 500 = 6,900 / 1M
    assert base.total_usd == D("0.0069")
    assert not base.long_context
    long = cost_of("claude-haiku-5-5", above)
    # Everything at 5x: (60,001 x 0.10 + 400 + 500) x 5 / 1M = 6,900.1 x 5 / 1M
    assert long.total_usd == D("0.0345005")
    assert long.long_context
    assert cost_of("claude-haiku-5-5", above, batch=True).total_usd == D("0.01725025")


def test_cache_writes_count_towards_the_long_context_threshold() -> None:
    usage = TokenUsage(input_tokens=1, cache_write_1h_tokens=100_000)
    assert cost_of("claude-haiku-5-5", usage).long_context
    assert not cost_of("claude-haiku-4-5", usage).long_context


def test_unknown_model_raises_or_gives_flagged_zero() -> None:
    table = PriceTable.default()
    with pytest.raises(UnknownModelError, match="gpt-9"):
        table.cost("gpt-9", TokenUsage(input_tokens=10))
    zero = table.cost_or_zero("gpt-9", TokenUsage(input_tokens=10))
    assert zero == Cost.unpriced("gpt-9")
    assert zero.total_usd == 0
    assert not zero.priced


def test_sdk_usage_object_is_normalised() -> None:
    usage = Usage(
        input_tokens=120,
        output_tokens=40,
        cache_creation_input_tokens=5_000,
        cache_read_input_tokens=8_000,
        cache_creation=CacheCreation(
            ephemeral_5m_input_tokens=1_000, ephemeral_1h_input_tokens=4_000
        ),
    )
    tokens = TokenUsage.of(usage)
    assert tokens == TokenUsage(
        input_tokens=120,
        output_tokens=40,
        cache_write_5m_tokens=1_000,
        cache_write_1h_tokens=4_000,
        cache_read_tokens=8_000,
    )
    assert tokens.prompt_tokens == 13_120
    # 120 x 3 + 40 x 15 + 1,000 x 3.75 + 4,000 x 6 + 8,000 x 0.3 = 360+600+3,750+24,000+2,400
    assert cost_of("claude-sonnet-4-6", usage).total_usd == D("0.03111")


def test_mapping_usage_without_split_counts_writes_as_5m() -> None:
    tokens = TokenUsage.of(
        {
            "input_tokens": 5,
            "output_tokens": 6,
            "cache_creation_input_tokens": 7,
            "cache_creation": None,
        }
    )
    assert tokens == TokenUsage(input_tokens=5, output_tokens=6, cache_write_5m_tokens=7)
    partial = TokenUsage.of(
        {
            "input_tokens": 1,
            "output_tokens": 1,
            "cache_creation_input_tokens": 10,
            "cache_creation": {"ephemeral_1h_input_tokens": 4},
        }
    )
    assert (partial.cache_write_5m_tokens, partial.cache_write_1h_tokens) == (6, 4)


def test_bad_usage_values_are_rejected() -> None:
    with pytest.raises(TypeError, match="input_tokens"):
        TokenUsage.of({"input_tokens": "12", "output_tokens": 1})
    with pytest.raises(ValueError, match="negative"):
        TokenUsage(input_tokens=-1)


def test_usage_adds_up() -> None:
    total = TokenUsage(input_tokens=1, cache_read_tokens=2) + TokenUsage(
        output_tokens=3, cache_read_tokens=4
    )
    assert total == TokenUsage(input_tokens=1, output_tokens=3, cache_read_tokens=6)


def test_malformed_tables_are_refused() -> None:
    with pytest.raises(PriceTableError):
        PriceTable.from_yaml("currency: USD\nper_tokens: 1000000\nmodels: {m: {input: 1}}\n")
    duplicate = """
currency: USD
per_tokens: 1000000
models:
  a: {input: "1", output: "1", cache_write_5m: "1", cache_write_1h: "1", cache_read: "1",
      batch_discount: "0.5", aliases: [x]}
  b: {input: "1", output: "1", cache_write_5m: "1", cache_write_1h: "1", cache_read: "1",
      batch_discount: "0.5", aliases: [x]}
"""
    with pytest.raises(PriceTableError, match="'x'"):
        PriceTable.from_yaml(duplicate)


def test_tier_cost_feeds_the_contract_breakdown() -> None:
    first = TokenUsage(input_tokens=2_000, output_tokens=300, cache_read_tokens=10_000)
    second = TokenUsage(input_tokens=1_000, output_tokens=100, cache_write_1h_tokens=500)
    breakdown = CostBreakdown()
    for usage, model in ((first, "claude-haiku-4-5-20251001"), (second, "claude-haiku-4-5")):
        cost = cost_of(model, usage)  # priced as the base model: snapshots share one entry
        breakdown = breakdown.add(tier_cost(Tier.HAIKU, cost.model, usage, cost))
    (entry,) = breakdown.tiers
    assert entry.model == "claude-haiku-4-5"
    assert (entry.calls, entry.input_tokens, entry.output_tokens) == (2, 3_000, 400)
    assert (entry.cache_read_input_tokens, entry.cache_write_input_tokens) == (10_000, 500)
    # 0.002 + 0.0015 + 0.001 = 0.0045; 0.001 + 0.0005 + 0.001 = 0.0025
    assert breakdown.total_usd == pytest.approx(0.007)
