"""Figures from what the output topics and the trace file say (pure: no I/O).

Latency is end to end: from the request record's timestamp to the record that ends the
automated part for the item (the final decision, or the human-review task). Cost and LLM calls
come from that record's cumulative cost breakdown; the naive cost prices the same calls with
no prompt caching, no batch discount and no verdict cache.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypedDict

from moderation.pricing import PriceTable, TokenUsage

HOP_SPAN_KIND = "CONSUMER"
MODEL_SPAN_PREFIX = "chat "


class Percentiles(TypedDict):
    count: int
    p50: float
    p95: float
    p99: float
    max: float


class CostFigures(TypedDict):
    per_1000_usd: float
    naive_per_1000_usd: float
    ratio_to_naive: float
    total_usd: float


class TokenFigures(TypedDict):
    llm_calls_per_item: float
    input_tokens_per_item: float
    cache_read_tokens_per_item: float
    cache_write_tokens_per_item: float
    output_tokens_per_item: float


class TimelinePoint(TypedDict):
    second: int
    completed: int
    p50_ms: float
    p95_ms: float


@dataclass
class Terminal:
    """The record that ended the automated part for one item."""

    at_ms: int
    kind: str  # decision | task | deadletter
    decided_by: str | None
    cost: Mapping[str, Any]


@dataclass
class Observation:
    """Everything measured for one system (the service or the baseline) in one run."""

    sent_ms: dict[str, int] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)
    terminal: dict[str, Terminal] = field(default_factory=dict)
    extra_outputs: int = 0  # duplicate terminal records (at-least-once), counted not failed

    def record(self, content_id: str, terminal: Terminal) -> None:
        if content_id in self.terminal:
            self.extra_outputs += 1
            return
        self.terminal[content_id] = terminal

    @property
    def lost(self) -> list[str]:
        return [cid for cid in self.sent_ms if cid not in self.terminal]

    def latencies(self) -> dict[str, list[float]]:
        by_route: dict[str, list[float]] = defaultdict(list)
        for cid, end in self.terminal.items():
            start = self.sent_ms.get(cid)
            if start is not None:
                by_route[self.routes.get(cid, "?")].append(max(0.0, end.at_ms - start))
        return dict(by_route)


def percentiles(values: Sequence[float]) -> Percentiles:
    """Nearest-rank percentiles (0 for an empty sample)."""
    ordered = sorted(values)

    def rank(q: float) -> float:
        if not ordered:
            return 0.0
        return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 3)

    return Percentiles(
        count=len(ordered), p50=rank(0.50), p95=rank(0.95), p99=rank(0.99), max=rank(1.0)
    )


def throughput(observation: Observation) -> float:
    """Items per second from the first request sent to the last terminal record."""
    if not observation.terminal or not observation.sent_ms:
        return 0.0
    first = min(observation.sent_ms.values())
    last = max(t.at_ms for t in observation.terminal.values())
    return round(len(observation.terminal) / max((last - first) / 1000, 1e-3), 2)


def drain_throughput(observation: Observation) -> float:
    """Items per second between the first and the last terminal record (backlog runs)."""
    stamps = sorted(t.at_ms for t in observation.terminal.values())
    if len(stamps) < 2:
        return 0.0
    return round((len(stamps) - 1) / max((stamps[-1] - stamps[0]) / 1000, 1e-3), 2)


def latency_table(observation: Observation) -> dict[str, Percentiles]:
    table = {route: percentiles(values) for route, values in observation.latencies().items()}
    table["all"] = percentiles([v for values in observation.latencies().values() for v in values])
    return table


def _tiers(terminal: Terminal) -> list[Mapping[str, Any]]:
    tiers = terminal.cost.get("tiers", []) if terminal.cost else []
    return [t for t in tiers if isinstance(t, Mapping)]


def verdict_cache_hits(observation: Observation) -> int:
    """Items that got a verdict without a single LLM call (answered by the verdict cache)."""
    return sum(
        1
        for t in observation.terminal.values()
        if t.kind != "deadletter" and not any(tier.get("calls", 0) for tier in _tiers(t))
    )


def token_figures(observation: Observation) -> TokenFigures:
    count = max(len(observation.terminal), 1)
    sums: dict[str, int] = defaultdict(int)
    for terminal in observation.terminal.values():
        for tier in _tiers(terminal):
            for name in (
                "calls",
                "input_tokens",
                "cache_read_input_tokens",
                "cache_write_input_tokens",
                "output_tokens",
            ):
                sums[name] += int(tier.get(name, 0))
    return TokenFigures(
        llm_calls_per_item=round(sums["calls"] / count, 3),
        input_tokens_per_item=round(sums["input_tokens"] / count, 1),
        cache_read_tokens_per_item=round(sums["cache_read_input_tokens"] / count, 1),
        cache_write_tokens_per_item=round(sums["cache_write_input_tokens"] / count, 1),
        output_tokens_per_item=round(sums["output_tokens"] / count, 1),
    )


def naive_cost(tier: Mapping[str, Any], prices: PriceTable) -> Decimal:
    """The same tokens as if nothing was cached or batched: every input token at full price."""
    prompt = (
        int(tier.get("input_tokens", 0))
        + int(tier.get("cache_read_input_tokens", 0))
        + int(tier.get("cache_write_input_tokens", 0))
    )
    usage = TokenUsage(input_tokens=prompt, output_tokens=int(tier.get("output_tokens", 0)))
    return prices.cost_or_zero(str(tier.get("model", "")), usage).total_usd


def cost_figures(observation: Observation, prices: PriceTable | None = None) -> CostFigures:
    """Actual and naive cost per 1,000 items.

    Naive: each item pays for its own calls in full. An item answered by the verdict cache is
    charged the mean naive cost of the items that made calls (it would have made them too).
    """
    table = prices or PriceTable.default()
    count = len(observation.terminal)
    if count == 0:
        return CostFigures(per_1000_usd=0, naive_per_1000_usd=0, ratio_to_naive=0, total_usd=0)
    actual = sum(float(t.cost.get("total_usd", 0.0)) for t in observation.terminal.values())
    paid = [
        sum(naive_cost(tier, table) for tier in _tiers(t))
        for t in observation.terminal.values()
        if any(tier.get("calls", 0) for tier in _tiers(t))
    ]
    naive_per_item = float(sum(paid, Decimal(0))) / len(paid) if paid else 0.0
    per_1000 = actual / count * 1000
    naive_1000 = naive_per_item * 1000
    return CostFigures(
        per_1000_usd=round(per_1000, 5),
        naive_per_1000_usd=round(naive_1000, 5),
        ratio_to_naive=round(per_1000 / naive_1000, 4) if naive_1000 else 0.0,
        total_usd=round(actual, 6),
    )


def timeline(observation: Observation) -> list[TimelinePoint]:
    """Completions and latency per second since the first request was sent."""
    if not observation.sent_ms:
        return []
    start = min(observation.sent_ms.values())
    bins: dict[int, list[float]] = defaultdict(list)
    for cid, end in observation.terminal.items():
        sent = observation.sent_ms.get(cid)
        if sent is not None:
            bins[(end.at_ms - start) // 1000].append(float(end.at_ms - sent))
    points: list[TimelinePoint] = []
    for second in range(0, max(bins, default=-1) + 1):
        sample = percentiles(bins.get(second, []))
        points.append(
            TimelinePoint(
                second=second, completed=sample["count"], p50_ms=sample["p50"], p95_ms=sample["p95"]
            )
        )
    return points


def hop_overheads(records: Iterable[Mapping[str, Any]]) -> dict[str, Percentiles]:
    """Per hop (stage), the CONSUMER span's duration minus its model calls' durations, in ms.

    A model call belongs to the nearest CONSUMER span above it in the span tree.
    """
    spans = {r["span_id"]: r for r in records}
    model_ns: dict[str, int] = defaultdict(int)
    for span in spans.values():
        if not str(span.get("name", "")).startswith(MODEL_SPAN_PREFIX):
            continue
        parent = spans.get(span.get("parent_span_id") or "")
        while parent is not None and parent.get("kind") != HOP_SPAN_KIND:
            parent = spans.get(parent.get("parent_span_id") or "")
        if parent is not None:
            model_ns[parent["span_id"]] += int(span["end_ns"]) - int(span["start_ns"])
    by_hop: dict[str, list[float]] = defaultdict(list)
    for span in spans.values():
        if span.get("kind") != HOP_SPAN_KIND:
            continue
        attributes = span.get("attributes") or {}
        hop = str(attributes.get("moderation.stage") or span.get("name"))
        total = int(span["end_ns"]) - int(span["start_ns"])
        by_hop[hop].append(max(0, total - model_ns.get(span["span_id"], 0)) / 1e6)
    return {hop: percentiles(values) for hop, values in sorted(by_hop.items())}
