"""The appeal stage's rules, pure: when an appeal is heard, when an answer may close it, the
decision an overturn publishes. :mod:`moderation.stages.appeal` applies them to events."""

from __future__ import annotations

from datetime import datetime, timedelta

from moderation.stages.outputs import current_trace_id, decision_id_for
from moderation.statements.mapping import restricts
from moderation_contracts import (
    Appeal,
    AppealDecision,
    AppealRecord,
    AppealRejection,
    AppealState,
    AppealStatus,
    Decision,
    DecisionStatus,
    Tier,
)
from moderation_contracts.appeal_internal import MAX_APPEALS_PER_ITEM


def why_not_heard(
    appeal: Appeal, received_at: datetime, state: AppealState, window_days: int
) -> tuple[AppealRejection, str] | None:
    """Why the appeal cannot be heard (the first reason that applies), or None: it is valid."""
    decision = state.decision
    # Another tenant's item is answered exactly like an unknown one.
    if decision is None or decision.tenant_id != appeal.tenant_id:
        return AppealRejection.UNKNOWN_ITEM, (
            "No final decision restricting this content is known."
        )
    if appeal.decision_id is not None and appeal.decision_id != decision.decision_id:
        if appeal.decision_id == decision.supersedes:
            return AppealRejection.ALREADY_DECIDED, (
                "That decision was overturned on appeal and no longer applies."
            )
        return AppealRejection.UNKNOWN_ITEM, "No such decision is known for this content."
    if not restricts(decision):
        if decision.supersedes is not None:
            return AppealRejection.ALREADY_DECIDED, (
                "The decision was overturned on appeal; the content is allowed."
            )
        return AppealRejection.NOT_RESTRICTED, "The content is not restricted."
    submitted = min(appeal.submitted_at, received_at)
    if submitted > decision.decided_at + timedelta(days=window_days):
        return AppealRejection.LATE, (
            f"Appeals are accepted for {window_days} days after the decision; this one came later."
        )
    for record in state.appeals:
        if record.decision_id != decision.decision_id:
            continue
        if record.answer.status is AppealStatus.RECEIVED:
            return AppealRejection.DUPLICATE, (
                f"Appeal {record.appeal_id} of this decision is already under review."
            )
        if record.answer.status in (AppealStatus.UPHELD, AppealStatus.OVERTURNED):
            return AppealRejection.ALREADY_DECIDED, (
                f"An appeal of this decision was already decided ({record.answer.status})."
            )
    return None


def forget_after(state: AppealState, window_days: int, grace: timedelta) -> datetime | None:
    """When the item's state may be dropped: ``grace`` after its last final decision's appeal
    window (``window_days``) closed and after the last thing that happened to it (a late
    re-delivery still gets its earlier answer); None while an appeal of it is open or waiting.
    A state without a decision (only rejected appeals of an unknown item) goes after ``grace``.

    An appeal for a dropped item is answered ``unknown_item``: without the state nothing tells
    how old its decision was."""
    if state.waiting or any(record.task is not None for record in state.appeals):
        return None
    closes = state.updated_at
    if state.decision is not None:
        closes = max(closes, state.decision.decided_at + timedelta(days=window_days))
    return closes + grace


def forgettable(state: AppealState, now: datetime, window_days: int, grace: timedelta) -> bool:
    """Whether the item's state may be dropped now (:func:`forget_after`)."""
    after = forget_after(state, window_days, grace)
    return after is not None and now > after


def superseding(original: Decision, answer: AppealDecision, now: datetime) -> Decision:
    """The final decision an overturn publishes: the content is allowed again."""
    status = DecisionStatus.ALLOWED
    assert original.decision_id is not None
    return original.model_copy(
        update={
            "status": status,
            "decided_by": Tier.HUMAN,
            "final": True,
            "categories": [],
            "rationale": answer.reason,
            "reviewer_id": answer.reviewer_id,
            "decision_id": decision_id_for(
                original.tenant_id,
                original.content_id,
                str(Tier.HUMAN),
                str(status),
                f"supersedes:{original.decision_id}",
            ),
            "supersedes": original.decision_id,
            "overturned": False,
            "reason": f"appeal {answer.appeal_id} overturned decision {original.decision_id}",
            "trace_id": current_trace_id(),
            "decided_at": now,
        }
    )


def may_wait(problem: tuple[AppealRejection, str] | None) -> bool:
    """Whether an appeal that cannot be heard may yet be: no decision it could contest is
    known, and one may still be on its way (it comes on another topic)."""
    return problem is not None and problem[0] is AppealRejection.UNKNOWN_ITEM


def answer_problem(answer: AppealDecision, record: AppealRecord | None) -> tuple[str, str] | None:
    if record is None or record.task is None:
        return "no_open_appeal", f"no open appeal {answer.appeal_id} for this content_id"
    task = record.task
    if task.appeal.tenant_id != answer.tenant_id:
        return "tenant_mismatch", "the answer's tenant_id differs from the appeal's"
    if task.task_id != answer.task_id:
        return "task_mismatch", f"answer for task {answer.task_id}, the open task is {task.task_id}"
    if answer.reviewer_id in task.excluded_reviewers:
        return "reviewer_excluded", (
            "the reviewer who made the original decision may not decide its appeal"
        )
    return None


def bounded(appeals: list[AppealRecord]) -> list[AppealRecord]:
    """At most the contract's bound per item: the oldest closed appeals go first."""
    while len(appeals) > MAX_APPEALS_PER_ITEM:
        closed = next((r for r in appeals if r.task is None), appeals[0])
        appeals.remove(closed)
    return appeals
