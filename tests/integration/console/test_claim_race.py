"""Two reviewers never hold the same task: real threads against SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from moderation.console import queue
from moderation.console.accounts import add_user
from moderation.console.db import is_postgres, sessions
from moderation.console.decisions import decide
from moderation.console.models import AuditEvent, QueueName, Role, Task, TaskState
from moderation.console.principal import Principal
from moderation.console.samples import sample_task
from moderation.console.tasks import store_tasks
from moderation_contracts import HumanAction

pytestmark = pytest.mark.integration

REVIEWERS = 8
TASKS = 120


def _setup(engine: Engine, tasks: int) -> list[Principal]:
    now = datetime.now(UTC)
    factory = sessions(engine)
    with factory.begin() as session:
        users = [
            add_user(session, f"r{i}", Role.REVIEWER, ["acme"], None, now=now)
            for i in range(REVIEWERS)
        ]
        store_tasks(session, [sample_task(n) for n in range(tasks)], now=now)
    return [Principal.of(user, "token") for user in users]


def test_concurrent_next_hands_every_task_to_exactly_one_reviewer(any_engine: Engine) -> None:
    reviewers = _setup(any_engine, TASKS)
    factory = sessions(any_engine)
    skip_locked = is_postgres(any_engine)
    start = threading.Barrier(REVIEWERS)
    held: list[tuple[str, str]] = []
    lock = threading.Lock()

    def work(principal: Principal) -> int:
        start.wait()
        count = 0
        while True:
            now = datetime.now(UTC)
            with factory.begin() as session:
                task = queue.claim_next(
                    session,
                    principal,
                    QueueName.STANDARD,
                    now=now,
                    lease_s=600,
                    skip_locked=skip_locked,
                )
                if task is None:
                    return count
                task_id = task.task_id
            with lock:
                held.append((principal.username, task_id))
            with factory.begin() as session:
                decide(
                    session,
                    principal,
                    task_id,
                    action=HumanAction.ALLOW,
                    categories=[],
                    notes="",
                    topic="t",
                    now=datetime.now(UTC),
                )
            count += 1

    with ThreadPoolExecutor(REVIEWERS) as pool:
        counts = list(pool.map(work, reviewers))
    claims = Counter(task_id for _, task_id in held)
    assert len(claims) == TASKS
    assert max(claims.values()) == 1, [t for t, n in claims.items() if n > 1]
    assert sum(counts) == TASKS
    assert sum(1 for n in counts if n > 0) >= 2, "the reviewers really ran side by side"
    with factory() as session:
        decided = session.scalar(
            select(func.count()).select_from(Task).where(Task.state == TaskState.DECIDED)
        )
        audited = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "claim")
        )
    assert decided == TASKS
    assert audited == TASKS


def test_one_task_contested_by_every_reviewer_goes_to_exactly_one(any_engine: Engine) -> None:
    reviewers = _setup(any_engine, 1)
    factory = sessions(any_engine)
    start = threading.Barrier(REVIEWERS)

    def attempt(principal: Principal) -> bool:
        start.wait()
        try:
            with factory.begin() as session:
                queue.claim(session, principal, "task-acme-0", now=datetime.now(UTC), lease_s=600)
        except queue.TaskConflict:
            return False
        return True

    with ThreadPoolExecutor(REVIEWERS) as pool:
        wins = list(pool.map(attempt, reviewers))
    assert wins.count(True) == 1
    with factory() as session:
        task = session.scalars(select(Task)).one()
    winner = reviewers[wins.index(True)]
    assert task.claimed_by == winner.user_id
    assert task.claimed_at is not None


def test_an_expired_lease_returns_the_task_to_the_queue(any_engine: Engine) -> None:
    first, second, *_ = _setup(any_engine, 1)
    factory = sessions(any_engine)
    then = datetime(2030, 1, 1, tzinfo=UTC)
    with factory.begin() as session:
        queue.claim(session, first, "task-acme-0", now=then, lease_s=60)
    with factory.begin() as session, pytest.raises(queue.TaskConflict):
        queue.claim(session, second, "task-acme-0", now=then, lease_s=60)
    later = datetime(2030, 1, 1, 0, 2, tzinfo=UTC)
    with factory.begin() as session:
        assert queue.expire_leases(session, now=later) == 1
    with factory.begin() as session:
        task = queue.claim_next(
            session, second, QueueName.STANDARD, now=later, lease_s=60, skip_locked=False
        )
        assert task is not None
        assert task.claimed_by == second.user_id
    with factory() as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-3:] == ["claim", "lease_expired", "claim"]
