"""Deciding a task: the decision, its outbox message and the audit event in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from moderation.console import audit
from moderation.console.models import OutboxMessage, QueueName, Task, TaskState
from moderation.console.principal import Principal
from moderation.console.queue import TaskConflict, visible_task
from moderation_contracts import CategoryScore, HumanAction, HumanDecision, dump_payload


def decide(
    session: Session,
    principal: Principal,
    task_id: str,
    *,
    action: HumanAction,
    categories: Sequence[CategoryScore],
    notes: str,
    topic: str,
    now: datetime,
) -> HumanDecision:
    """Record the reviewer's decision and queue it for publishing.

    The reviewer must hold the claim. The task row moves from open to decided (or escalated)
    with a compare-and-set, and the outbox allows one message per task, so a task can never
    produce two different decisions. ``ValueError`` (from the contract) when the decision is
    malformed, e.g. remove without categories.
    """
    task = visible_task(session, principal, task_id)
    if task.queue == QueueName.APPEALS:
        raise TaskConflict(f"task {task_id} is an appeal: decide it with upheld or overturned")
    decision = HumanDecision(
        content_id=task.content_id,
        tenant_id=task.tenant_id,
        task_id=task.task_id,
        reviewer_id=principal.username,
        action=action,
        categories=list(categories),
        notes=notes,
        decided_at=now,
    )
    state = TaskState.ESCALATED if action is HumanAction.ESCALATE else TaskState.DECIDED
    close_task(
        session,
        principal,
        task,
        state=state,
        value=dump_payload(decision),
        topic=topic,
        now=now,
        action="escalate" if action is HumanAction.ESCALATE else f"decide_{action.value}",
        detail=",".join(c.category for c in decision.categories),
    )
    return decision


def close_task(
    session: Session,
    principal: Principal,
    task: Task,
    *,
    state: TaskState,
    value: bytes,
    topic: str,
    now: datetime,
    action: str,
    detail: str,
) -> None:
    """Move the claimed task out of ``open`` (compare-and-set), queue ``value`` in the outbox
    (one message per task) and audit it: all in the caller's transaction."""
    result = session.execute(
        update(Task)
        .where(
            Task.id == task.id,
            Task.state == TaskState.OPEN,
            Task.claimed_by == principal.user_id,
        )
        .values(
            state=state,
            decided_by=principal.user_id,
            decided_at=now,
            decision=value.decode(),
            claimed_by=None,  # the claim ends; claimed_at stays for the handling time
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        raise TaskConflict(f"you do not hold a claim on task {task.task_id}, or it was decided")
    session.add(
        OutboxMessage(
            task_pk=task.id,
            topic=topic,
            key=task.content_id.encode(),
            value=value,
            created_at=now,
            attempts=0,
        )
    )
    audit.record(
        session,
        at=now,
        actor=principal.username,
        action=action,
        task_id=task.task_id,
        tenant_id=task.tenant_id,
        detail=detail,
    )
    session.flush()
    session.refresh(task)
