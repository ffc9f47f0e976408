"""The review queue: ordering, claims (leases), heartbeats, release, skip and lease expiry.

A claim is a compare-and-set ``UPDATE ... WHERE`` the task is open and unclaimed (or its lease
ran out), so two reviewers can never hold the same task on any backend. On PostgreSQL, "next"
first picks a candidate with ``FOR UPDATE SKIP LOCKED`` so concurrent reviewers do not queue
behind one another's row locks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session, defer

from moderation.console import audit
from moderation.console.models import QueueName, Skip, Task, TaskState
from moderation.console.principal import Principal

QUEUE_ORDER = (Task.priority_rank, Task.review_deadline, Task.created_at, Task.id)
"""Priority first, then the earliest deadline, then the oldest task."""


class TaskNotFound(LookupError):
    """No such task, or not one this principal may see (the two are indistinguishable)."""


class TaskConflict(RuntimeError):
    """The task is claimed by someone else, or no longer open."""


class ReviewerExcluded(TaskConflict):
    """This reviewer made the decision the appeal contests: someone else must decide it."""


def excluded_marker(names: list[str]) -> str:
    """How ``Task.excluded_reviewers`` stores names: ``,a,b,`` (so one LIKE finds a name)."""
    return f",{','.join(names)}," if names else ""


def _not_excluded(principal: Principal) -> ColumnElement[bool]:
    """The reviewer may take the task: not one who made the decision an appeal contests."""
    marker = f",{principal.username},"
    return ~Task.excluded_reviewers.contains(marker, autoescape=True)


def is_excluded(task: Task, principal: Principal) -> bool:
    return f",{principal.username}," in (task.excluded_reviewers or "")


def _unclaimed(now: datetime) -> ColumnElement[bool]:
    return or_(Task.claimed_by.is_(None), Task.lease_expires_at <= now)


def _visible(principal: Principal) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if principal.tenants is not None:
        conditions.append(Task.tenant_id.in_(sorted(principal.tenants)))
    if not principal.works_queue(QueueName.SENIOR):
        conditions.append(Task.queue == QueueName.STANDARD)
    return conditions


def visible_task(session: Session, principal: Principal, task_id: str) -> Task:
    """The task, if this principal may see it; ``TaskNotFound`` otherwise."""
    task = session.scalar(select(Task).where(Task.task_id == task_id))
    if task is None or not principal.may_open(task.tenant_id, task.queue):
        raise TaskNotFound(task_id)
    return task


COUNT_CAP = 1_000
"""Queue pages count open tasks up to this many ("10000+" beyond): an exact count of a huge
backlog would cost more than the page itself."""


@dataclass(frozen=True, slots=True)
class QueuePage:
    tasks: list[Task]
    total: int
    """Open tasks in this queue, at most ``COUNT_CAP + 1`` (then there are more)."""


def open_tasks(
    session: Session,
    principal: Principal,
    queue: QueueName,
    *,
    limit: int = 50,
    offset: int = 0,
    tenant: str | None = None,
) -> QueuePage:
    """Open tasks of one queue in review order, for the tenants this principal sees."""
    conditions = [Task.state == TaskState.OPEN, Task.queue == queue, *_visible(principal)]
    if tenant is not None:
        conditions.append(Task.tenant_id == tenant)
    query = (
        select(Task)
        .options(defer(Task.payload))  # the queue shows no content
        .where(*conditions)
        .order_by(*QUEUE_ORDER)
        .limit(limit)
        .offset(offset)
    )
    capped = select(Task.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(capped)) or 0
    return QueuePage(list(session.scalars(query)), total)


def _lease(
    session: Session, task: Task, principal: Principal, now: datetime, lease_s: float
) -> bool:
    """Compare-and-set: take the task if it is open and free (or already ours)."""
    result = session.execute(
        update(Task)
        .where(
            Task.id == task.id,
            Task.state == TaskState.OPEN,
            or_(_unclaimed(now), Task.claimed_by == principal.user_id),
            _not_excluded(principal),
        )
        .values(
            claimed_by=principal.user_id,
            claimed_at=now,
            lease_expires_at=now + timedelta(seconds=lease_s),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        return False
    session.refresh(task)
    audit.record(
        session,
        at=now,
        actor=principal.username,
        action="claim",
        task_id=task.task_id,
        tenant_id=task.tenant_id,
    )
    return True


def claim(
    session: Session, principal: Principal, task_id: str, *, now: datetime, lease_s: float
) -> Task:
    task = visible_task(session, principal, task_id)
    if is_excluded(task, principal):
        raise ReviewerExcluded(
            f"you made the decision appeal task {task_id} contests; another reviewer decides it"
        )
    if task.claimed_by == principal.user_id and task.state == TaskState.OPEN:
        return heartbeat(session, principal, task_id, now=now, lease_s=lease_s)
    if not _lease(session, task, principal, now, lease_s):
        raise TaskConflict(f"task {task_id} is claimed by another reviewer or already decided")
    return task


def held_claim(session: Session, principal: Principal, now: datetime) -> Task | None:
    """The open task this reviewer holds an unexpired lease on, if any (the most urgent).

    Only the claimed_by conditions go to SQL: with state or queue in the WHERE clause (or an
    ORDER BY), a planner with stale statistics walks the whole queue-order index looking for
    this reviewer's rows; the partial claimed_by index holds only claimed rows.
    """
    mine = session.scalars(
        select(Task).where(Task.claimed_by.is_not(None), Task.claimed_by == principal.user_id)
    ).all()
    held = [
        task
        for task in mine
        if task.state == TaskState.OPEN
        and task.lease_expires_at is not None
        and task.lease_expires_at > now
        and principal.may_open(task.tenant_id, task.queue)
    ]
    return min(held, key=_queue_key, default=None)


def _queue_key(task: Task) -> tuple[int, datetime, datetime, int]:
    return (task.priority_rank, task.review_deadline, task.created_at, task.id)


def claim_next(
    session: Session,
    principal: Principal,
    queue: QueueName,
    *,
    now: datetime,
    lease_s: float,
    skip_locked: bool,
) -> Task | None:
    """Claim the top task of ``queue`` this reviewer has not skipped; keeps a held claim.

    Returns None when nothing is left. Skipped tasks are never offered again to the same
    reviewer by "next", so skipping cannot loop.
    """
    held = held_claim(session, principal, now)
    if held is not None and held.queue == queue:
        return held
    skipped = select(Skip.task_pk).where(Skip.user_id == principal.user_id)
    candidates = (
        select(Task)
        .where(
            Task.state == TaskState.OPEN,
            Task.queue == queue,
            _unclaimed(now),
            Task.id.not_in(skipped),
            _not_excluded(principal),
            *_visible(principal),
        )
        .order_by(*QUEUE_ORDER)
    )
    for _attempt in range(8):
        if skip_locked:
            task = session.scalar(candidates.limit(1).with_for_update(skip_locked=True))
        else:
            task = session.scalar(candidates.limit(1))
        if task is None:
            return None
        if _lease(session, task, principal, now, lease_s):
            return task
    return None


def _held(session: Session, principal: Principal, task_id: str, now: datetime) -> Task:
    task = visible_task(session, principal, task_id)
    if task.state != TaskState.OPEN or task.claimed_by != principal.user_id:
        raise TaskConflict(f"you do not hold a claim on task {task_id}")
    return task


def heartbeat(
    session: Session, principal: Principal, task_id: str, *, now: datetime, lease_s: float
) -> Task:
    """Extend this reviewer's lease while they work on the task."""
    task = _held(session, principal, task_id, now)
    result = session.execute(
        update(Task)
        .where(
            Task.id == task.id,
            Task.state == TaskState.OPEN,
            Task.claimed_by == principal.user_id,
        )
        .values(lease_expires_at=now + timedelta(seconds=lease_s))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        raise TaskConflict(f"you do not hold a claim on task {task_id}")
    session.refresh(task)
    return task


def _free(session: Session, task: Task, principal: Principal) -> bool:
    result = session.execute(
        update(Task)
        .where(Task.id == task.id, Task.claimed_by == principal.user_id)
        .values(claimed_by=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def release(session: Session, principal: Principal, task_id: str, *, now: datetime) -> Task:
    """Give the task back to the queue."""
    task = _held(session, principal, task_id, now)
    if not _free(session, task, principal):
        raise TaskConflict(f"you do not hold a claim on task {task_id}")
    audit.record(
        session,
        at=now,
        actor=principal.username,
        action="release",
        task_id=task.task_id,
        tenant_id=task.tenant_id,
    )
    session.refresh(task)
    return task


def skip(session: Session, principal: Principal, task_id: str, *, now: datetime) -> Task:
    """Hide the task from this reviewer's "next" and release it if they held it."""
    task = visible_task(session, principal, task_id)
    if task.state != TaskState.OPEN:
        raise TaskConflict(f"task {task_id} is no longer open")
    if session.get(Skip, (principal.user_id, task.id)) is None:
        session.add(Skip(user_id=principal.user_id, task_pk=task.id, skipped_at=now))
    _free(session, task, principal)
    audit.record(
        session,
        at=now,
        actor=principal.username,
        action="skip",
        task_id=task.task_id,
        tenant_id=task.tenant_id,
    )
    session.flush()
    session.refresh(task)
    return task


def expire_leases(session: Session, *, now: datetime) -> int:
    """Return tasks whose lease ran out to the queue (audited); returns how many."""
    expired = list(
        session.scalars(
            # Only claimed rows (the partial index); decided tasks no longer hold a claim.
            select(Task)
            .where(Task.claimed_by.is_not(None), Task.lease_expires_at <= now)
            .limit(500)
        )
    )
    returned = 0
    for task in expired:
        result = session.execute(
            update(Task)
            .where(
                and_(
                    Task.id == task.id,
                    Task.state == TaskState.OPEN,
                    Task.claimed_by == task.claimed_by,
                    Task.lease_expires_at <= now,
                )
            )
            .values(claimed_by=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
            returned += 1
            audit.record(
                session,
                at=now,
                actor="system",
                action="lease_expired",
                task_id=task.task_id,
                tenant_id=task.tenant_id,
            )
    return returned
