"""Storing human-review and appeal tasks read from their topics: idempotent on ``task_id``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from moderation.console.models import QueueName, Task, TaskState
from moderation.console.queue import excluded_marker
from moderation_contracts import AppealTask, HumanReviewTask


def store_tasks(session: Session, tasks: Sequence[HumanReviewTask], *, now: datetime) -> int:
    """Insert the tasks not stored yet (in the caller's transaction); returns how many were new.

    A task re-queued for an item a reviewer escalated goes to the senior queue.
    """
    if not tasks:
        return 0
    ids = {task.task_id for task in tasks}
    known = set(session.scalars(select(Task.task_id).where(Task.task_id.in_(ids))))
    fresh: dict[str, HumanReviewTask] = {}
    for task in tasks:
        if task.task_id not in known:
            fresh.setdefault(task.task_id, task)
    if not fresh:
        return 0
    pairs = {(t.request.tenant_id, t.content_id) for t in fresh.values()}
    escalated = set(
        session.execute(
            select(Task.tenant_id, Task.content_id).where(
                Task.state == TaskState.ESCALATED,
                tuple_(Task.tenant_id, Task.content_id).in_(pairs),
            )
        ).tuples()
    )
    rows = [
        {
            "task_id": task.task_id,
            "tenant_id": task.request.tenant_id,
            "content_id": task.content_id,
            "queue": QueueName.SENIOR
            if (task.request.tenant_id, task.content_id) in escalated
            else QueueName.STANDARD,
            "priority": task.priority.value,
            "priority_rank": task.priority.rank,
            "review_deadline": task.review_deadline,
            "created_at": task.created_at,
            "ingested_at": now,
            "state": TaskState.OPEN,
            "payload": task.model_dump_json(),
        }
        for task in fresh.values()
    ]
    session.execute(insert(Task), rows)  # one multi-row INSERT per batch
    return len(rows)


def store_appeal_tasks(session: Session, tasks: Sequence[AppealTask], *, now: datetime) -> int:
    """Insert the appeal tasks not stored yet into the appeals queue; returns how many were new.

    Each names the reviewers who may not claim it (who made the decision it contests)."""
    if not tasks:
        return 0
    ids = {task.task_id for task in tasks}
    known = set(session.scalars(select(Task.task_id).where(Task.task_id.in_(ids))))
    fresh = {t.task_id: t for t in tasks if t.task_id not in known}
    if not fresh:
        return 0
    rows = [
        {
            "task_id": task.task_id,
            "tenant_id": task.appeal.tenant_id,
            "content_id": task.content_id,
            "queue": QueueName.APPEALS,
            "priority": task.priority.value,
            "priority_rank": task.priority.rank,
            "review_deadline": task.review_deadline,
            "created_at": task.created_at,
            "ingested_at": now,
            "state": TaskState.OPEN,
            "payload": task.model_dump_json(),
            "excluded_reviewers": excluded_marker(list(task.excluded_reviewers)),
        }
        for task in fresh.values()
    ]
    session.execute(insert(Task), rows)
    return len(rows)
