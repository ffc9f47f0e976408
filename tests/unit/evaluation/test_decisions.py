"""``--from-decisions``: reviewers' final decisions become labels; escalations do not."""

from __future__ import annotations

from datetime import timedelta

from moderation.evaluation.decisions import labelled_from_decisions
from moderation_contracts import CategoryScore, HumanAction, HumanDecision, Severity, dump_payload
from moderation_contracts import examples as ex

CATEGORIES = ["harassment/threatening", "spam", "hate"]


def human(action: HumanAction, minutes: int, categories: tuple[str, ...] = ()) -> bytes:
    task = ex.human_review_task()
    return dump_payload(
        HumanDecision(
            content_id=task.request.content_id,
            tenant_id=task.request.tenant_id,
            task_id=task.task_id,
            reviewer_id="rev-1",
            action=action,
            categories=[CategoryScore(category=c, severity=Severity.HIGH) for c in categories],
            decided_at=ex.T0 + timedelta(minutes=minutes),
        )
    )


def test_the_latest_final_decision_labels_the_item() -> None:
    tasks = [dump_payload(ex.human_review_task()), b"not json"]
    decisions = [
        human(HumanAction.ALLOW, 1),
        human(HumanAction.REMOVE, 5, ["spam"]),
        human(HumanAction.ESCALATE, 9),  # not final: ignored
    ]
    items, unusable = labelled_from_decisions(tasks, decisions, CATEGORIES)
    (item,) = items
    assert unusable == 1
    assert item.labels == {"harassment/threatening": False, "spam": True, "hate": False}
    assert item.kind == "human-remove"
    assert item.request == ex.human_review_task().request


def test_decisions_without_their_task_are_counted_not_guessed() -> None:
    items, unusable = labelled_from_decisions([], [human(HumanAction.ALLOW, 1)], CATEGORIES)
    assert (items, unusable) == ([], 1)
