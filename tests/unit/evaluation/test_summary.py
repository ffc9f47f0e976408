"""From answers to figures: masked labels per category, escalation, cost, comparison."""

from __future__ import annotations

import json

import pytest

from moderation.evaluation.answers import Answer
from moderation.evaluation.datasets import EvalItem, parse_lines
from moderation.evaluation.metrics import Confusion
from moderation.evaluation.render import SIMULATED_BANNER, ReportInput, to_json, to_markdown
from moderation.evaluation.summary import compare, figures

CATEGORIES = ["hate", "spam"]


def items() -> list[EvalItem]:
    lines = [
        {"id": "i1", "text": "a", "expected": ["hate"]},
        {"id": "i2", "text": "b", "expected": []},
        {"id": "i3", "text": "c", "expected": [], "unknown": ["hate"]},
        {"id": "i4", "text": "d", "expected": ["spam"]},
    ]
    return parse_lines([json.dumps(line) for line in lines], CATEGORIES)


def answer(item_id: str, flagged: list[str], **extra: object) -> Answer:
    values: dict[str, object] = {
        "item_id": item_id,
        "fingerprint": item_id,
        "config_id": "a",
        "triage": "judged",
        "review": None,
        "route": "allow",
        "to_review": False,
        "to_human": False,
        "flagged": flagged,
        "scores": dict.fromkeys(flagged, 0.9),
    }
    values.update(extra)
    return Answer(**values)  # type: ignore[arg-type]  # test data built from a dict


def test_figures_by_hand_with_a_masked_label() -> None:
    answers = [
        answer("i1", ["hate"], to_review=True, to_human=True, cost_usd=0.002, latency_ms=100),
        answer("i2", [], cost_usd=0.001, latency_ms=10),
        answer("i3", ["hate"], cost_usd=0.001, latency_ms=20, triage="refused", review="judged"),
        answer("i4", [], cost_usd=0.001, latency_ms=30, triage="invalid", review="invalid"),
    ]
    made = figures("a", items(), answers, CATEGORIES)
    hate, spam = made.categories
    # i3's hate label is unknown: its flag counts nowhere for hate
    assert (hate.counts, hate.unknown) == (Confusion(tp=1, fp=0, fn=0, tn=2), 1)
    assert hate.pr_auc == pytest.approx(1.0)
    assert spam.counts == Confusion(tp=0, fp=0, fn=1, tn=3)
    assert spam.counts.recall == 0.0
    assert spam.pr_auc == pytest.approx(0.25)  # every score ties at 0: one step, precision 1/4
    # overall flagged: i3's overall label is unknown (hate unknown, nothing positive)
    assert made.overall == Confusion(tp=1, fp=0, fn=1, tn=1)
    assert made.micro == Confusion(tp=1, fp=0, fn=1, tn=5)
    assert (made.to_review, made.to_human) == (0.25, 0.25)
    assert (made.refused, made.invalid, made.unavailable) == (1, 1, 0)
    assert made.cost_per_1000_usd == pytest.approx(1.25)
    assert made.latency_p50_ms == pytest.approx(25.0)
    assert made.latency_p95_ms == pytest.approx(89.5)
    assert made.kinds["unlabelled"].items == 4
    assert made.kinds["unlabelled"].flagged == 2


def test_comparison_of_two_configurations() -> None:
    data = items()
    first = [answer("i1", ["hate"]), answer("i2", []), answer("i3", []), answer("i4", [])]
    second = [
        answer(a.item_id, ["spam"] if a.item_id in ("i2", "i4") else a.flagged, config_id="b")
        for a in first
    ]
    made = compare(data, first, second, CATEGORIES, rounds=200)
    assert (made.first, made.second, made.items) == ("a", "b", 4)
    # flagged: first T F F F, second T T F T -> observed 2/4; chance .25*.75+.75*.25 = .375
    assert made.kappa == pytest.approx((0.5 - 0.375) / (1 - 0.375))
    overall = made.differences[0]
    assert overall.name == "F1 flagged (any category)"
    # labels (i3 unknown): first tp1 fn1 tn1 -> 2/3; second tp2 fp1 -> 4/5
    assert overall.first == pytest.approx(2 / 3)
    assert overall.second == pytest.approx(0.8)
    assert overall.delta.estimate == pytest.approx(0.8 - 2 / 3)
    assert overall.delta.low is not None
    assert overall.delta.high is not None
    assert overall.delta.low <= overall.delta.estimate <= overall.delta.high


def test_report_says_when_the_api_is_simulated() -> None:
    made = figures("a", items(), [answer(i.item_id, []) for i in items()], CATEGORIES)
    simulated = to_markdown(ReportInput("set.jsonl", 4, True, [made]))
    real = to_markdown(ReportInput("set.jsonl", 4, False, [made]))
    assert simulated.startswith(SIMULATED_BANNER)
    assert "Simulated" not in real
    assert json.loads(to_json(ReportInput("set.jsonl", 4, True, [made])))["simulated_api"] is True
