"""Queue health: pending by priority and tenant, oldest age, SLA breaches, throughput."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation.console.models import Task, TaskState
from moderation.console.outbox import unsent_count

HANDLING_SAMPLE = 10_000
"""Median handling time looks at up to this many of the last day's decisions."""


@dataclass
class QueueHealth:
    pending: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """(queue, priority, tenant) -> open tasks."""
    claimed: int = 0
    overdue: dict[str, int] = field(default_factory=dict)
    """tenant -> open tasks past their review deadline."""
    oldest_age_s: float = 0.0
    decisions_last_hour: dict[str, int] = field(default_factory=dict)
    """outcome (decided / escalated) -> count in the last hour."""
    decisions_total: dict[str, int] = field(default_factory=dict)
    median_handling_s: float | None = None
    """Claim to decision, over the last day."""
    outbox_unsent: int = 0

    @property
    def pending_total(self) -> int:
        return sum(self.pending.values())

    def pending_by(self, index: int) -> dict[str, int]:
        totals: dict[str, int] = {}
        for key, count in self.pending.items():
            totals[key[index]] = totals.get(key[index], 0) + count
        return dict(sorted(totals.items()))


def queue_health(session: Session, now: datetime) -> QueueHealth:
    health = QueueHealth()
    open_ = Task.state == TaskState.OPEN
    grouped = session.execute(
        select(Task.queue, Task.priority, Task.tenant_id, func.count())
        .where(open_)
        .group_by(Task.queue, Task.priority, Task.tenant_id)
    ).tuples()
    health.pending = {(q, p, t): n for q, p, t, n in grouped}
    health.claimed = (
        session.scalar(
            select(func.count()).where(
                open_, Task.claimed_by.is_not(None), Task.lease_expires_at > now
            )
        )
        or 0
    )
    overdue = session.execute(
        select(Task.tenant_id, func.count())
        .where(open_, Task.review_deadline <= now)
        .group_by(Task.tenant_id)
    ).tuples()
    health.overdue = dict(overdue.all())
    oldest = session.scalar(select(func.min(Task.created_at)).where(open_))
    if oldest is not None:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
        health.oldest_age_s = max(0.0, (now - oldest).total_seconds())
    done = Task.decided_at.is_not(None)
    recent = session.execute(
        select(Task.state, func.count())
        .where(done, Task.decided_at > now - timedelta(hours=1))
        .group_by(Task.state)
    ).tuples()
    health.decisions_last_hour = dict(recent.all())
    total = session.execute(select(Task.state, func.count()).where(done).group_by(Task.state))
    health.decisions_total = dict(total.tuples().all())
    spans = session.execute(
        select(Task.claimed_at, Task.decided_at)
        .where(done, Task.claimed_at.is_not(None), Task.decided_at > now - timedelta(days=1))
        .order_by(Task.decided_at.desc())
        .limit(HANDLING_SAMPLE)
    ).tuples()
    durations = [(d - c).total_seconds() for c, d in spans if c is not None and d is not None]
    health.median_handling_s = statistics.median(durations) if durations else None
    health.outbox_unsent = unsent_count(session)
    return health


class _Snapshot(Collector):
    def __init__(self, health: QueueHealth) -> None:
        self.health = health

    def collect(self) -> list[GaugeMetricFamily | CounterMetricFamily]:
        h = self.health
        pending = GaugeMetricFamily(
            "console_tasks_pending",
            "Open human-review tasks",
            labels=["queue", "priority", "tenant"],
        )
        for (queue, priority, tenant), count in sorted(h.pending.items()):
            pending.add_metric([queue, priority, tenant], count)
        overdue = GaugeMetricFamily(
            "console_tasks_overdue", "Open tasks past their review deadline", labels=["tenant"]
        )
        for tenant, count in sorted(h.overdue.items()):
            overdue.add_metric([tenant], count)
        claimed = GaugeMetricFamily("console_tasks_claimed", "Open tasks under a live claim")
        claimed.add_metric([], h.claimed)
        oldest = GaugeMetricFamily(
            "console_oldest_open_task_age_seconds", "Age of the oldest open task"
        )
        oldest.add_metric([], h.oldest_age_s)
        hour = GaugeMetricFamily(
            "console_decisions_last_hour", "Decisions in the last hour", labels=["outcome"]
        )
        for outcome, count in sorted(h.decisions_last_hour.items()):
            hour.add_metric([outcome], count)
        total = CounterMetricFamily(
            "console_decisions", "Decisions recorded since the database began", labels=["outcome"]
        )
        for outcome, count in sorted(h.decisions_total.items()):
            total.add_metric([outcome], count)
        handling = GaugeMetricFamily(
            "console_median_handling_seconds", "Median claim-to-decision time, last day"
        )
        handling.add_metric([], h.median_handling_s or 0.0)
        outbox = GaugeMetricFamily("console_outbox_unsent", "Decisions not yet acknowledged")
        outbox.add_metric([], h.outbox_unsent)
        return [pending, overdue, claimed, oldest, hour, total, handling, outbox]


def metrics_text(health: QueueHealth) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(health))
    return generate_latest(registry)
