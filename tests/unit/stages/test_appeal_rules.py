"""When an item's appeal state may be dropped (:func:`forgettable`), with explicit times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moderation.stages.appeal_rules import forgettable
from moderation_contracts import AppealRecord, AppealState
from moderation_contracts import examples as ex
from moderation_contracts.examples_appeals import appeal_outcome, appeal_task

DECIDED = datetime(2027, 1, 1, tzinfo=UTC)
WINDOW = 183
GRACE = timedelta(days=7)
CLOSES = DECIDED + timedelta(days=WINDOW) + GRACE
"""The appeal window plus the grace, counted from the decision."""
SECOND = timedelta(seconds=1)


def state(**changes: object) -> AppealState:
    decision = ex.final_decision().model_copy(update={"decided_at": DECIDED})
    made = AppealState(content_id=decision.content_id, decision=decision, updated_at=DECIDED)
    return made.model_copy(update=changes)


def test_a_restricted_item_goes_only_once_its_window_and_the_grace_passed() -> None:
    assert not forgettable(state(), CLOSES - SECOND, WINDOW, GRACE)
    assert not forgettable(state(), CLOSES, WINDOW, GRACE)
    assert forgettable(state(), CLOSES + SECOND, WINDOW, GRACE)


def test_the_tenants_window_counts() -> None:
    assert not forgettable(state(), DECIDED + timedelta(days=40), WINDOW, GRACE)
    assert forgettable(state(), DECIDED + timedelta(days=40), 30, GRACE)


def test_an_open_appeal_keeps_the_item_however_old() -> None:
    base = ex.final_decision()
    task = appeal_task(base)
    open_ = AppealRecord(appeal_id=task.appeal.appeal_id, task=task, answer=appeal_outcome(base))
    appealed = state(appeals=[open_])
    assert not forgettable(appealed, CLOSES + timedelta(days=3650), WINDOW, GRACE)
    closed = state(appeals=[open_.model_copy(update={"task": None})])
    assert forgettable(closed, CLOSES + SECOND, WINDOW, GRACE)


def test_recent_activity_keeps_the_item_for_the_grace() -> None:
    """A late appeal answered yesterday is still remembered, so its re-delivery gets the same
    answer (late) rather than unknown_item."""
    touched = CLOSES + timedelta(days=30)
    busy = state(updated_at=touched)
    assert not forgettable(busy, touched + GRACE, WINDOW, GRACE)
    assert forgettable(busy, touched + GRACE + SECOND, WINDOW, GRACE)


def test_an_item_without_a_decision_goes_after_the_grace() -> None:
    unknown = state(decision=None, updated_at=DECIDED)
    assert not forgettable(unknown, DECIDED + GRACE, WINDOW, GRACE)
    assert forgettable(unknown, DECIDED + GRACE + SECOND, WINDOW, GRACE)


def test_no_grace_means_right_after_the_window() -> None:
    window_end = DECIDED + timedelta(days=WINDOW)
    assert not forgettable(state(), window_end, WINDOW, timedelta(0))
    assert forgettable(state(), window_end + SECOND, WINDOW, timedelta(0))
