"""What the UI and the API show about a task: one dictionary shape for both."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.console import audit
from moderation.console.models import Task, User
from moderation_contracts import HumanReviewTask
from moderation_contracts.verdict import Verdict


def parsed(task: Task) -> HumanReviewTask:
    return HumanReviewTask.model_validate_json(task.payload)


def verdict_view(verdict: Verdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {
        "tier": verdict.tier.value,
        "model": verdict.model,
        "policy_id": verdict.policy_id,
        "policy_version": verdict.policy_version,
        "flagged": verdict.flagged,
        "categories": [c.model_dump(mode="json") for c in verdict.categories],
        "rationale": verdict.rationale,
        "stop_reason": verdict.stop_reason,
    }


def usernames(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(ids))).tuples()
    return dict(rows.all())


def summary(task: Task, now: datetime, names: dict[int, str]) -> dict[str, Any]:
    """The queue row: no content, only what orders and identifies the task."""
    claimed = task.claimed_by is not None and (
        task.lease_expires_at is not None and task.lease_expires_at > now
    )
    return {
        "task_id": task.task_id,
        "tenant_id": task.tenant_id,
        "content_id": task.content_id,
        "queue": task.queue,
        "priority": task.priority,
        "state": task.state,
        "review_deadline": task.review_deadline.isoformat(),
        "overdue": now >= task.review_deadline,
        "created_at": task.created_at.isoformat(),
        "claimed_by": names.get(task.claimed_by) if claimed and task.claimed_by else None,
        "lease_expires_at": task.lease_expires_at.isoformat()
        if claimed and task.lease_expires_at
        else None,
        "claimed_at": task.claimed_at.isoformat() if task.claimed_at else None,
        "decided_at": task.decided_at.isoformat() if task.decided_at else None,
    }


def summaries(session: Session, tasks: list[Task], now: datetime) -> list[dict[str, Any]]:
    names = usernames(session, {t.claimed_by for t in tasks if t.claimed_by is not None})
    return [summary(task, now, names) for task in tasks]


def detail(session: Session, task: Task, now: datetime) -> dict[str, Any]:
    """Everything a reviewer needs to decide, plus the item's history."""
    body = parsed(task)
    request = body.request
    ids = {i for i in (task.claimed_by, task.decided_by) if i is not None}
    names = usernames(session, ids)
    siblings = list(
        session.scalars(
            select(Task)
            .where(Task.tenant_id == task.tenant_id, Task.content_id == task.content_id)
            .order_by(Task.id)
        )
    )
    events = audit.events_for(session, [t.task_id for t in siblings])
    return {
        **summary(task, now, names),
        "decided_by": names.get(task.decided_by) if task.decided_by else None,
        "decision": task.decision,
        "text": request.text,
        "locale": request.locale,
        "surface": request.context.surface if request.context else None,
        "parent_text": request.context.parent_text if request.context else None,
        "attachments": [
            {
                "index": index,
                "inline": attachment.data is not None,
                "media_type": attachment.media_type.value if attachment.media_type else None,
                "url": attachment.url,
            }
            for index, attachment in enumerate(request.attachments)
        ],
        "escalation_reason": body.escalation_reason.value,
        "reason": body.reason,
        "triage": verdict_view(body.triage),
        "review": verdict_view(body.review),
        "cost_usd": body.cost.total_usd,
        "trace_id": body.trace_id,
        "history": [
            {
                "at": event.at.isoformat(),
                "actor": event.actor,
                "action": event.action,
                "task_id": event.task_id,
                "detail": event.detail,
            }
            for event in events
        ],
        "earlier_tasks": [
            {"task_id": t.task_id, "state": t.state, "queue": t.queue}
            for t in siblings
            if t.id != task.id
        ],
    }
