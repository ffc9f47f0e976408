from __future__ import annotations

import io
from pathlib import Path

from moderation_contracts import DecisionStatus, EscalationReason, Tier
from moderation_dev.demo.cli import pick_waterfall_item, report
from moderation_dev.demo.corpus import CorpusItem
from moderation_dev.demo.ledger import Ledger
from moderation_dev.demo.orchestration import DemoRun
from moderation_dev.demo.processes import demo_topics
from tests.support.demo import Events


def run_of(ledger: Ledger, *, timed_out: bool = False) -> DemoRun:
    return DemoRun(
        ledger=ledger,
        topics=demo_topics("t"),
        elapsed_s=1.0,
        timed_out=timed_out,
        trace_file=Path("no-such-dir/demo-traces.jsonl"),
        worker_log=Path("no-such-dir/demo-worker.log"),
        timeout_s=5.0,
        worker_exit=0,
    )


def two_items() -> tuple[Ledger, Events, Events]:
    allowed, removed = Events("allowed-1"), Events("removed-1")
    items = [CorpusItem(e.content_id, "benign", None, b"{}", None) for e in (allowed, removed)]
    ledger = Ledger(items, "h")
    for events, status in ((allowed, DecisionStatus.ALLOWED), (removed, DecisionStatus.REMOVED)):
        ledger.decision(events.decision(DecisionStatus.PENDING_REVIEW, Tier.HAIKU, 0.1))
        ledger.task(events.task())
        ledger.decision(events.decision(status, Tier.HUMAN, 1.0))
    return ledger, allowed, removed


def test_the_waterfall_shows_an_item_a_human_removed() -> None:
    ledger, _, removed = two_items()
    assert pick_waterfall_item(run_of(ledger)) == removed.content_id
    assert pick_waterfall_item(run_of(Ledger([], "h"))) is None


def test_a_complete_run_exits_zero() -> None:
    ledger, *_ = two_items()
    out = io.StringIO()
    assert report(run_of(ledger), out) == 0
    assert "not finished in time 0" in out.getvalue()
    assert "moderation trace removed-1" in out.getvalue()


def test_a_run_with_missing_items_fails_and_names_them() -> None:
    ledger, *_ = two_items()
    ledger.trails["late-1"] = Ledger(
        [CorpusItem("late-1", "benign", None, b"{}", None)], "h"
    ).trails["late-1"]
    out = io.StringIO()
    assert report(run_of(ledger, timed_out=True), out) == 1
    text = out.getvalue()
    assert "FAILED: after waiting 5s (--timeout), 1 items are not finished" in text
    assert "not lost" in text
    assert "late-1 (benign): not published" in text


def test_a_run_where_every_decision_fell_back_fails_and_says_why() -> None:
    down = [Events(f"down-{n}") for n in range(3)]
    ledger = Ledger([CorpusItem(e.content_id, "benign", None, b"{}", None) for e in down], "h")
    for events in down:
        ledger.decision(events.decision(DecisionStatus.PENDING_REVIEW, Tier.FALLBACK, 0.1))
        ledger.task(events.task(EscalationReason.TIER_UNAVAILABLE))
        ledger.decision(events.decision(DecisionStatus.ALLOWED, Tier.HUMAN, 1.0))
    out = io.StringIO()
    assert report(run_of(ledger), out) == 1
    assert "no item was judged by a model: all 3 decisions" in out.getvalue()
    assert "ANTHROPIC_BASE_URL" in out.getvalue()


def test_one_scripted_fallback_among_judged_items_is_fine() -> None:
    ledger, *_ = two_items()
    down = Events("down-1")
    ledger.trails["down-1"] = Ledger(
        [CorpusItem("down-1", "benign", None, b"{}", None)], "h"
    ).trails["down-1"]
    ledger.task(down.task(EscalationReason.TIER_UNAVAILABLE))
    ledger.decision(down.decision(DecisionStatus.ALLOWED, Tier.HUMAN, 1.0))
    assert report(run_of(ledger), io.StringIO()) == 0
