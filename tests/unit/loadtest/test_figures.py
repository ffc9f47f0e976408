"""Load-test arithmetic: traffic shape, schedules, percentiles, cost against naive, hop overhead."""

from __future__ import annotations

import pytest
from loadtest.measure import (
    Observation,
    Terminal,
    cost_figures,
    hop_overheads,
    percentiles,
    throughput,
    timeline,
    verdict_cache_hits,
)
from loadtest.scenarios import Scenario, Shape
from loadtest.traffic import Route, TrafficSpec, generate, parse_mix

from moderation.pricing import PriceTable, TokenUsage


def test_generator_is_seeded_with_the_asked_mix_and_exact_duplicates() -> None:
    spec = TrafficSpec(items=2000, duplicate_share=0.25, seed=3)
    items = generate(spec, "r")
    assert [i.request.text for i in items] == [i.request.text for i in generate(spec, "r")]
    duplicates = [i for i in items if i.duplicate_of]
    assert 0.2 < len(duplicates) / len(items) < 0.3
    texts = {i.request.content_id: i.request.text for i in items}
    assert all(texts[d.duplicate_of or ""] == d.request.text for d in duplicates)
    originals = [i for i in items if not i.duplicate_of]
    allow = sum(1 for i in originals if i.route is Route.ALLOW) / len(originals)
    assert allow == pytest.approx(0.85, abs=0.04)
    assert all((i.request.text or "").startswith("[[sim:") for i in items if i.route is Route.HUMAN)
    sizes = sorted(len(i.request.text or "") for i in originals)
    assert sizes[0] >= 40
    assert sizes[-1] > 700


def test_mix_parsing_normalises() -> None:
    assert parse_mix("allow=2,human=2") == {Route.ALLOW: 0.5, Route.HUMAN: 0.5}
    with pytest.raises(ValueError, match="bogus"):
        parse_mix("bogus=1")


def test_schedules() -> None:
    assert Shape(Scenario.BACKLOG, 0).send_times(3) == [0.0, 0.0, 0.0]
    steady = Shape(Scenario.STEADY, 100).send_times(101)
    assert steady[-1] == pytest.approx(1.0)
    burst = Shape(Scenario.BURST, 10, burst_factor=4, burst_s=2, period_s=8).send_times(200)
    first_two_seconds = sum(1 for t in burst if t < 2)
    next_two_seconds = sum(1 for t in burst if 2 <= t < 4)
    assert first_two_seconds == pytest.approx(80, abs=1)
    assert next_two_seconds == pytest.approx(20, abs=1)


def test_percentiles_nearest_rank() -> None:
    sample = percentiles([float(v) for v in range(1, 101)])
    assert (sample["p50"], sample["p95"], sample["p99"], sample["max"]) == (50, 95, 99, 100)
    assert percentiles([])["count"] == 0


def _tier(calls: int, model: str = "claude-haiku-4-5") -> dict[str, object]:
    return {
        "model": model,
        "calls": calls,
        "input_tokens": 100 * calls,
        "cache_read_input_tokens": 5000 * calls,
        "cache_write_input_tokens": 0,
        "output_tokens": 40 * calls,
    }


def test_cost_against_naive_counts_cache_hits_as_if_they_had_paid() -> None:
    observed = Observation()
    paid_tier = _tier(1)
    prices = PriceTable.default()
    actual = float(
        prices.cost(
            "claude-haiku-4-5",
            TokenUsage(input_tokens=100, output_tokens=40, cache_read_tokens=5000),
        ).total_usd
    )
    for n in range(4):
        observed.sent_ms[f"i{n}"] = 1000
        tiers = [paid_tier] if n < 2 else []  # two items answered by the verdict cache
        cost = {"total_usd": actual if n < 2 else 0.0, "tiers": tiers}
        observed.record(f"i{n}", Terminal(2000 + n, "decision", "haiku", cost))
    naive = float(
        prices.cost("claude-haiku-4-5", TokenUsage(input_tokens=5100, output_tokens=40)).total_usd
    )
    figures = cost_figures(observed, prices)
    assert figures["naive_per_1000_usd"] == pytest.approx(naive * 1000, rel=1e-4)
    assert figures["per_1000_usd"] == pytest.approx(actual * 2 / 4 * 1000, rel=1e-4)
    assert figures["ratio_to_naive"] == pytest.approx(actual / 2 / naive, rel=1e-3)
    assert verdict_cache_hits(observed) == 2
    assert throughput(observed) == pytest.approx(4 / 1.003, rel=1e-3)
    assert [p["completed"] for p in timeline(observed)] == [0, 4]


def test_a_second_terminal_record_counts_as_a_duplicate_not_a_new_item() -> None:
    observed = Observation()
    observed.sent_ms["a"] = 0
    observed.record("a", Terminal(5, "decision", "haiku", {}))
    observed.record("a", Terminal(9, "decision", "haiku", {}))
    assert observed.extra_outputs == 1
    assert observed.terminal["a"].at_ms == 5
    assert observed.lost == []


def _span(
    span_id: str, parent: str | None, name: str, kind: str, start: int, end: int, stage: str = ""
) -> dict[str, object]:
    return {
        "span_id": span_id,
        "parent_span_id": parent,
        "name": name,
        "kind": kind,
        "start_ns": start,
        "end_ns": end,
        "attributes": {"moderation.stage": stage} if stage else {},
    }


def test_hop_overhead_subtracts_model_time_under_the_consumer_span() -> None:
    ms = 1_000_000
    spans = [
        _span("c1", None, "process requests", "CONSUMER", 0, 120 * ms, "triage"),
        _span("m1", "c1", "chat claude-haiku-4-5", "CLIENT", 5 * ms, 105 * ms),
        _span("c2", None, "process review", "CONSUMER", 0, 30 * ms, "review"),
        _span("h", "c2", "handler", "INTERNAL", 1 * ms, 29 * ms),
        _span("m2", "h", "chat claude-sonnet-4-6", "CLIENT", 2 * ms, 27 * ms),
        _span("m3", "h", "chat claude-sonnet-4-6", "CLIENT", 27 * ms, 28 * ms),
    ]
    overhead = hop_overheads(spans)
    assert overhead["triage"]["p50"] == pytest.approx(20.0)
    assert overhead["review"]["p50"] == pytest.approx(4.0)
