"""The routing decision table, row by row (pure: no I/O)."""

from __future__ import annotations

import pytest

from moderation.llm.judge import Judgement, JudgementKind
from moderation.policy import FailMode, PolicyBook
from moderation.routing import Route, route_review, route_triage
from moderation_contracts import (
    CategoryScore,
    EscalationReason,
    Priority,
    Severity,
    Tier,
    TierCost,
    Verdict,
)

POLICY = PolicyBook.load(None).default
OPEN_POLICY = POLICY.model_copy(update={"fail_mode": FailMode.OPEN})
COST = (TierCost(tier=Tier.HAIKU, model="claude-haiku-4-5", calls=1, cost_usd=0.001),)


def judged(*scores: tuple[str, Severity, float], tier: Tier = Tier.HAIKU) -> Judgement:
    categories = [CategoryScore(category=c, severity=s, confidence=p) for c, s, p in scores]
    verdict = Verdict(
        tier=tier,
        model="m",
        policy_id=POLICY.policy_id,
        policy_version=POLICY.version,
        categories=categories,
        flagged=POLICY.is_flagged(categories),
        rationale="r",
    )
    return Judgement(JudgementKind.JUDGED, COST, verdict=verdict, model="m")


def other(kind: JudgementKind) -> Judgement:
    return Judgement(kind, COST, detail="why", model="m")


def test_triage_allows_clean_content() -> None:
    routing = route_triage(judged(), POLICY)
    assert (routing.route, routing.decided_by) == (Route.ALLOW, Tier.HAIKU)


def test_triage_allows_scores_below_the_flag_threshold() -> None:
    routing = route_triage(judged(("harassment", Severity.LOW, 0.1)), POLICY)
    assert routing.route is Route.ALLOW


def test_triage_sends_flags_to_review_and_names_them() -> None:
    routing = route_triage(judged(("violence", Severity.HIGH, 0.95)), POLICY)
    assert routing.route is Route.REVIEW
    assert "violence high (0.95)" in routing.reason


@pytest.mark.parametrize("kind", [JudgementKind.REFUSED, JudgementKind.INVALID])
def test_triage_moves_refusals_and_invalid_output_up_a_tier(kind: JudgementKind) -> None:
    assert route_triage(other(kind), POLICY).route is Route.REVIEW


def test_an_item_the_api_rejected_moves_up_the_ladder_even_when_the_policy_fails_open() -> None:
    for policy in (POLICY, OPEN_POLICY):
        triage = route_triage(other(JudgementKind.REJECTED), policy)
        assert (triage.route, triage.decided_by) == (Route.REVIEW, Tier.HAIKU)
        assert triage.reason == "why"
        review = route_review(other(JudgementKind.REJECTED), policy)
        assert (review.route, review.decided_by) == (Route.HUMAN, Tier.SONNET)
        assert review.escalation is EscalationReason.ITEM_REJECTED_BY_API


def test_unavailable_triage_fails_closed_to_humans_by_default() -> None:
    routing = route_triage(other(JudgementKind.UNAVAILABLE), POLICY)
    assert routing.route is Route.HUMAN
    assert routing.decided_by is Tier.FALLBACK
    assert routing.escalation is EscalationReason.TIER_UNAVAILABLE


def test_unavailable_tiers_fail_open_when_the_policy_says_so() -> None:
    for route in (route_triage, route_review):
        routing = route(other(JudgementKind.UNAVAILABLE), OPEN_POLICY)
        assert (routing.route, routing.decided_by) == (Route.ALLOW, Tier.FALLBACK)
        assert "fails open" in routing.reason


def test_review_clears_when_nothing_is_left() -> None:
    routing = route_review(judged(tier=Tier.SONNET), POLICY)
    assert (routing.route, routing.decided_by) == (Route.ALLOW, Tier.SONNET)


def test_review_confirms_to_humans_with_priority_by_harm() -> None:
    routing = route_review(judged(("violence", Severity.HIGH, 0.95), tier=Tier.SONNET), POLICY)
    assert routing.route is Route.HUMAN
    assert routing.escalation is EscalationReason.FLAGGED_CONFIRMED
    assert routing.priority is Priority.CRITICAL
    spam = route_review(judged(("spam", Severity.MEDIUM, 0.9), tier=Tier.SONNET), POLICY)
    assert spam.priority is Priority.NORMAL


def test_review_is_unsure_when_a_category_is_listed_but_not_flagged() -> None:
    scores = ("harassment", Severity.LOW, 0.4)
    routing = route_review(judged(scores, tier=Tier.SONNET), POLICY)
    if POLICY.flagged(judged(scores).verdict.categories):  # type: ignore[union-attr]
        pytest.fail("fixture must sit below the flag threshold")
    assert routing.escalation is EscalationReason.REVIEW_UNSURE


def test_humans_decide_removals_unless_the_policy_lets_sonnet_act() -> None:
    scores = ("sexual/minors", Severity.HIGH, 0.99)
    assert route_review(judged(scores, tier=Tier.SONNET), POLICY).route is Route.HUMAN
    rules = dict(POLICY.categories)
    rules["sexual/minors"] = rules["sexual/minors"].model_copy(
        update={"auto_remove_at": Severity.HIGH, "auto_remove_min_confidence": 0.9}
    )
    lets_sonnet = POLICY.model_copy(update={"sonnet_may_remove": True, "categories": rules})
    routing = route_review(judged(scores, tier=Tier.SONNET), lets_sonnet)
    assert (routing.route, routing.decided_by) == (Route.REMOVE, Tier.SONNET)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (JudgementKind.REFUSED, EscalationReason.MODEL_REFUSED),
        (JudgementKind.INVALID, EscalationReason.INVALID_MODEL_OUTPUT),
        (JudgementKind.UNAVAILABLE, EscalationReason.TIER_UNAVAILABLE),
    ],
)
def test_review_failures_go_to_humans(kind: JudgementKind, reason: EscalationReason) -> None:
    routing = route_review(other(kind), POLICY)
    assert (routing.route, routing.escalation) == (Route.HUMAN, reason)
