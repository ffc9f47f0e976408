"""``moderation shadow report``'s summary on records small enough to check by hand."""

from __future__ import annotations

import pytest

from moderation.policy import PolicyBook
from moderation.rollout.report import summarise, table
from moderation.rollout.shadow import Side, compare
from moderation_contracts import ShadowComparison, ShadowStage
from tests.support.judges import judged

POLICY = PolicyBook.load().default


def record(content_id: str, ours: list[str], theirs: list[str]) -> ShadowComparison:
    return compare(
        ShadowStage.TRIAGE,
        content_id,
        "acme",
        Side("baseline", POLICY, judged(POLICY, "claude-haiku-4-5", ours, 0.002), 100.0),
        Side("next", POLICY, judged(POLICY, "claude-haiku-5-5", theirs, 0.001), 300.0),
    )


def test_compare_records_flips_in_both_directions() -> None:
    made = record("c-1", ["spam", "hate"], ["hate", "violence"])
    assert made.flips == ["spam", "violence"]
    assert made.agree  # both flag something
    assert made.production.flagged_categories == ["hate", "spam"]
    assert made.candidate.route == "review"


def test_summary_by_hand() -> None:
    records = [
        record("c-1", ["spam"], ["spam"]),
        record("c-2", ["spam"], []),
        record("c-3", [], ["hate"]),
        record("c-4", [], []),
    ]
    (summary,) = summarise(records)
    assert (summary.stage, summary.production, summary.candidate) == ("triage", "baseline", "next")
    assert summary.items == 4
    assert summary.agreement == pytest.approx(0.5)
    # production T T F F, candidate T F T F: observed .5, chance .5 -> kappa 0
    assert summary.kappa == pytest.approx(0.0)
    assert summary.candidate_clears == {"spam": 1}
    assert summary.candidate_flags == {"hate": 1}
    assert summary.cost_delta_per_1000_usd == pytest.approx(-1.0)
    text = table([summary])
    assert "agreement (flagged)      50.0%" in text
    assert "hate" in text
    assert table([]) == "no shadow comparisons on the topic"
