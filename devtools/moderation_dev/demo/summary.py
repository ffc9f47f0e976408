"""The end-of-run summary: routes, latency per tier, tokens, cache, cost, losses. Pure.

Latencies come from the decisions' own timestamps (``decided_at`` or a task's ``created_at``
minus the request's ``submitted_at``, which the demo stamps at publish time). Tokens and cost
come from each final decision's cumulative cost breakdown, so every LLM call is counted once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from moderation_contracts import EscalationReason, Tier, TierCost
from moderation_dev.demo.ledger import ItemTrail, Ledger, classify
from moderation_dev.demo.routes import DemoRoute

DEAD_LETTER_STATUS = "dead letter"
UNFINISHED_STATUS = "not finished"


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100) of the values; None when there are none."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class LatencyRow:
    label: str
    samples: int
    p50_s: float | None
    p95_s: float | None


@dataclass(frozen=True)
class TokenRow:
    """Calls, tokens and cost of one model tier over the whole run."""

    label: str
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0

    def plus(self, cost: TierCost) -> TokenRow:
        return TokenRow(
            self.label,
            self.calls + cost.calls,
            self.input_tokens + cost.input_tokens,
            self.output_tokens + cost.output_tokens,
            self.cache_read_tokens + cost.cache_read_input_tokens,
            self.cache_write_tokens + cost.cache_write_input_tokens,
            self.cost_usd + cost.cost_usd,
        )

    @property
    def cache_hit_ratio(self) -> float | None:
        """Cache-read share of all input tokens (uncached + cache read + cache write)."""
        total = self.input_tokens + self.cache_read_tokens + self.cache_write_tokens
        return self.cache_read_tokens / total if total else None


@dataclass(frozen=True)
class Summary:
    items: int
    elapsed_s: float
    routes: dict[DemoRoute, Counter[str]]
    latencies: list[LatencyRow]
    tokens: list[TokenRow]
    total: TokenRow
    duplicates: int
    unfinished: list[str]
    """Items with no final decision or dead letter when the wait ended (still in Kafka:
    not finished in time, not lost)."""
    strays: int
    rejected_answers: int
    rejected_answer_codes: dict[str, int] = field(default_factory=dict)
    mismatches: list[tuple[str, DemoRoute, DemoRoute]] = field(default_factory=list)

    @property
    def cost_per_1000(self) -> float:
        return self.total.cost_usd / self.items * 1000 if self.items else 0.0


def _seconds(later: datetime, earlier: datetime | None) -> float | None:
    return (later - earlier).total_seconds() if earlier is not None else None


def tier_latencies(trail: ItemTrail) -> dict[str, float]:
    """Seconds from submission to each tier's answer for one item."""
    found: dict[str, float] = {}
    decisions = [*trail.pending, *([trail.final] if trail.final else [])]
    for made in decisions:
        took = _seconds(made.decided_at, made.submitted_at)
        if took is not None:
            found.setdefault(str(made.decided_by), took)
    for task in trail.tasks:
        if task.escalation_reason is not EscalationReason.TIER_UNAVAILABLE:
            took = _seconds(task.created_at, task.request.submitted_at)
            if took is not None:
                found.setdefault(str(Tier.SONNET), took)
    if trail.final is not None:
        took = _seconds(trail.final.decided_at, trail.final.submitted_at)
        if took is not None:
            found["final"] = took
    return found


_LATENCY_LABELS = (
    (str(Tier.HAIKU), "haiku answer (triage)"),
    (str(Tier.SONNET), "sonnet answer (review)"),
    (str(Tier.HUMAN), "human final (incl. reviewer)"),
    ("final", "any final decision"),
)


def _status(trail: ItemTrail) -> str:
    if trail.final is not None:
        return str(trail.final.status)
    return DEAD_LETTER_STATUS if trail.dead_letter is not None else UNFINISHED_STATUS


def summarize(ledger: Ledger, elapsed_s: float) -> Summary:
    routes: dict[DemoRoute, Counter[str]] = {}
    samples: dict[str, list[float]] = {key: [] for key, _ in _LATENCY_LABELS}
    per_model: dict[str, TokenRow] = {}
    mismatches: list[tuple[str, DemoRoute, DemoRoute]] = []
    for trail in ledger.trails.values():
        route = classify(trail)
        routes.setdefault(route, Counter())[_status(trail)] += 1
        if trail.expect is not None and route is not DemoRoute.UNKNOWN and route != trail.expect:
            mismatches.append((trail.content_id, trail.expect, route))
        for key, took in tier_latencies(trail).items():
            if key in samples:
                samples[key].append(took)
        for cost in trail.final.cost.tiers if trail.final else []:
            label = f"{cost.tier} {cost.model}"
            per_model[label] = per_model.get(label, TokenRow(label)).plus(cost)
    total = TokenRow("total")
    for row in per_model.values():
        total = TokenRow(
            "total",
            total.calls + row.calls,
            total.input_tokens + row.input_tokens,
            total.output_tokens + row.output_tokens,
            total.cache_read_tokens + row.cache_read_tokens,
            total.cache_write_tokens + row.cache_write_tokens,
            total.cost_usd + row.cost_usd,
        )
    latencies = [
        LatencyRow(
            label, len(samples[key]), percentile(samples[key], 50), percentile(samples[key], 95)
        )
        for key, label in _LATENCY_LABELS
    ]
    return Summary(
        items=len(ledger.trails),
        elapsed_s=elapsed_s,
        routes=routes,
        latencies=latencies,
        tokens=sorted(per_model.values(), key=lambda row: row.label),
        total=total,
        duplicates=ledger.duplicates,
        unfinished=[t.content_id for t in ledger.missing()],
        strays=ledger.strays,
        rejected_answers=sum(t.rejected_answers for t in ledger.trails.values()),
        rejected_answer_codes=dict(ledger.rejected_answer_codes),
        mismatches=mismatches,
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:,.0f} ms"


def _codes(counts: dict[str, int]) -> str:
    return ", ".join(f"{code} x{count}" for code, count in sorted(counts.items()))


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return ["  " + line.rstrip() for line in lines]


def render(summary: Summary) -> str:
    """The summary as plain-text tables."""
    statuses = sorted({status for counts in summary.routes.values() for status in counts})
    route_rows = [
        [str(route), str(sum(counts.values())), *(str(counts.get(s, 0)) for s in statuses)]
        for route, counts in sorted(
            summary.routes.items(), key=lambda kv: list(DemoRoute).index(kv[0])
        )
    ]
    lines = [f"Summary: {summary.items} items in {summary.elapsed_s:.1f}s", ""]
    lines += _table(["route", "items", *statuses], route_rows)
    lines += ["", "Latency from submission (decision timestamps):"]
    lines += _table(
        ["tier", "items", "p50", "p95"],
        [[r.label, str(r.samples), _ms(r.p50_s), _ms(r.p95_s)] for r in summary.latencies],
    )
    lines += ["", "Tokens and cost (from the final decisions' cost breakdown):"]
    token_rows = [
        [
            row.label,
            f"{row.calls:,}",
            f"{row.input_tokens:,}",
            f"{row.output_tokens:,}",
            f"{row.cache_read_tokens:,}",
            f"{row.cache_write_tokens:,}",
            _ratio(row.cache_hit_ratio),
            f"${row.cost_usd:.4f}",
        ]
        for row in [*summary.tokens, summary.total]
    ]
    lines += _table(
        ["model", "calls", "input", "output", "cache read", "cache write", "cache hit", "cost"],
        token_rows,
    )
    lines += [
        "",
        f"  cost total ${summary.total.cost_usd:.4f}, per 1,000 items ${summary.cost_per_1000:.4f}",
        f"  duplicates seen {summary.duplicates}, events for unknown items {summary.strays}, "
        f"reviewer answers rejected {summary.rejected_answers}"
        + (
            f" ({_codes(summary.rejected_answer_codes)}; answered again)"
            if summary.rejected_answers
            else ""
        ),
        f"  not finished in time {len(summary.unfinished)}"
        + (f": {', '.join(summary.unfinished[:10])}" if summary.unfinished else ""),
    ]
    failed = sum(summary.routes.get(DemoRoute.PIPELINE_ERROR, Counter()).values())
    if failed:
        lines.append(
            f"  WARNING: {failed} items were dead-lettered by a failing stage "
            "(finished, but a pipeline bug: see the worker log)"
        )
    for content_id, expected, seen in summary.mismatches[:10]:
        lines.append(f"  note: {content_id} was scripted for '{expected}' but took '{seen}'")
    return "\n".join(lines) + "\n"
