from __future__ import annotations

from moderation_contracts import EscalationReason, HumanAction, Severity, Tier
from moderation_dev.demo.reviewer import REVIEWER_ID, answer
from tests.support.demo import T0, Events


def test_high_severity_in_the_sonnet_verdict_is_removed(events: Events) -> None:
    review = events.verdict(Tier.SONNET, ("violence", Severity.HIGH), ("harassment", Severity.LOW))
    made = answer(events.task(review=review), T0)
    assert made.action is HumanAction.REMOVE
    assert [c.category for c in made.categories] == ["violence"]
    assert made.reviewer_id == REVIEWER_ID
    assert made.task_id == "task-1"
    assert (made.content_id, made.tenant_id) == (events.content_id, events.tenant_id)


def test_medium_severity_is_allowed(events: Events) -> None:
    review = events.verdict(Tier.SONNET, ("spam", Severity.MEDIUM))
    made = answer(events.task(review=review), T0)
    assert made.action is HumanAction.ALLOW
    assert made.categories == []


def test_a_task_without_a_sonnet_verdict_is_allowed(events: Events) -> None:
    made = answer(events.task(EscalationReason.TIER_UNAVAILABLE), T0, reviewer_id="someone")
    assert made.action is HumanAction.ALLOW
    assert made.reviewer_id == "someone"
