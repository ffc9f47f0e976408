from __future__ import annotations

import pytest

from moderation_contracts import DeadLetter, DecisionStatus, Tier
from moderation_dev.demo.corpus import CorpusItem
from moderation_dev.demo.ledger import Ledger
from moderation_dev.demo.routes import DemoRoute
from moderation_dev.demo.summary import percentile, render, summarize, tier_latencies
from tests.support.demo import Events


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 50) == 10.0
    assert percentile(values, 95) == 19.0
    assert percentile(values, 100) == 20.0
    assert percentile(values, 0) == 1.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile(values, 101)


def build() -> tuple[Ledger, Events, Events, Events]:
    allowed, cleared, human = Events("a"), Events("b"), Events("c")
    items = [
        CorpusItem(e.content_id, "benign", None, b"{}", None) for e in (allowed, cleared, human)
    ]
    items.append(CorpusItem("late-1", "benign", DemoRoute.HAIKU_ALLOW, b"{}", None))
    ledger = Ledger(items, "human-decisions")
    haiku = allowed.cost((Tier.HAIKU, 1, 0.001))
    both = cleared.cost((Tier.HAIKU, 1, 0.001), (Tier.SONNET, 1, 0.004))
    ledger.decision(allowed.decision(DecisionStatus.ALLOWED, Tier.HAIKU, 0.2, cost=haiku))
    ledger.decision(cleared.decision(DecisionStatus.PENDING_REVIEW, Tier.HAIKU, 0.3))
    ledger.decision(cleared.decision(DecisionStatus.ALLOWED, Tier.SONNET, 0.9, cost=both))
    ledger.decision(human.decision(DecisionStatus.PENDING_REVIEW, Tier.HAIKU, 0.4))
    ledger.task(human.task(after_s=1.0))
    ledger.decision(human.decision(DecisionStatus.REMOVED, Tier.HUMAN, 2.0, cost=both))
    ledger.decision(human.decision(DecisionStatus.REMOVED, Tier.HUMAN, 2.0, cost=both))
    return ledger, allowed, cleared, human


def test_latencies_per_tier_come_from_the_timestamps() -> None:
    ledger, _, cleared, human = build()
    assert tier_latencies(ledger.trails[cleared.content_id]) == {
        "haiku": 0.3,
        "sonnet": 0.9,
        "final": 0.9,
    }
    assert tier_latencies(ledger.trails[human.content_id]) == {
        "haiku": 0.4,
        "sonnet": 1.0,
        "human": 2.0,
        "final": 2.0,
    }
    summary = summarize(ledger, elapsed_s=5.0)
    rows = {row.label.split()[0]: row for row in summary.latencies}
    assert rows["haiku"].samples == 3
    assert rows["haiku"].p50_s == 0.3
    assert rows["sonnet"].samples == 2
    assert rows["sonnet"].p95_s == 1.0
    assert rows["any"].samples == 3
    assert rows["any"].p95_s == 2.0


def test_tokens_cost_and_cache_ratio_sum_the_final_decisions() -> None:
    ledger, *_ = build()
    summary = summarize(ledger, elapsed_s=5.0)
    # haiku: 3 final decisions with one haiku call each; sonnet: two with one call each
    haiku, sonnet = summary.tokens
    assert (haiku.calls, haiku.input_tokens, haiku.cache_read_tokens) == (3, 300, 2400)
    assert sonnet.calls == 2
    assert summary.total.calls == 5
    assert summary.total.cost_usd == pytest.approx(0.001 * 3 + 0.004 * 2)
    assert summary.total.cache_hit_ratio == pytest.approx(800 / 1000)
    assert summary.cost_per_1000 == pytest.approx(summary.total.cost_usd / 4 * 1000)


def test_losses_duplicates_and_routes_are_reported() -> None:
    ledger, *_ = build()
    summary = summarize(ledger, elapsed_s=5.0)
    assert summary.unfinished == ["late-1"]
    assert summary.duplicates == 1
    assert summary.routes[DemoRoute.HUMAN] == {"removed": 1}
    assert summary.routes[DemoRoute.UNKNOWN] == {"not finished": 1}
    text = render(summary)
    assert "not finished in time 1: late-1" in text
    assert "lost" not in text.replace("late-1", "")
    assert "sonnet confirms -> human" in text
    assert "duplicates seen 1" in text
    assert "80.0%" in text


def test_an_empty_run_renders() -> None:
    summary = summarize(Ledger([], "h"), elapsed_s=0.0)
    assert summary.cost_per_1000 == 0.0
    assert "not finished in time 0" in render(summary)


def test_stage_failures_are_flagged_loudly() -> None:
    ledger = Ledger([CorpusItem("x", "benign", None, b"{}", None)], "h")
    ledger.dead_letter(
        DeadLetter.capture(
            b"{}",
            b"x",
            error_code="internal_error",
            error_message="finalize stage failed: TypeError",
            source_topic="review",
            source_partition=0,
            source_offset=0,
            stage="finalize",
            content_id="x",
        )
    )
    summary = summarize(ledger, elapsed_s=1.0)
    assert summary.unfinished == []
    assert "WARNING: 1 items were dead-lettered by a failing stage" in render(summary)
