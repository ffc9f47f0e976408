"""Appeal tests' helpers: publish decisions and appeals, read what the appeal stage wrote."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer

from moderation.settings import TopicNames
from moderation_contracts import Appeal, Decision
from moderation_contracts import examples as ex


def removed_decision(content_id: str, days_ago: float = 2, reviewer: str = "rev-7") -> Decision:
    """A final removal by a reviewer, as finalize publishes it."""
    return ex.final_decision().model_copy(
        update={
            "content_id": content_id,
            "decision_id": f"d-{content_id}",
            "reviewer_id": reviewer,
            "decided_at": datetime.now(UTC) - timedelta(days=days_ago),
        }
    )


def appeal_of(content_id: str, appeal_id: str, tenant: str = "acme") -> Appeal:
    return Appeal(
        appeal_id=appeal_id,
        content_id=content_id,
        tenant_id=tenant,
        appellant_id="user-1",
        reason="It was a quote, not a threat.",
        submitted_at=datetime.now(UTC),
    )


@dataclass
class AppealRecords:
    """What the appeal stage wrote, per content_id."""

    outcomes: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    tasks: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    decisions: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    statements: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    dead_letters: list[dict[str, Any]] = field(default_factory=list)

    def outcome(self, appeal_id: str, status: str | None = None) -> dict[str, Any] | None:
        return next(
            (
                o
                for items in self.outcomes.values()
                for o in items
                if o["appeal_id"] == appeal_id and status in (None, o["status"])
            ),
            None,
        )


async def read_appeal_records(
    bootstrap: str,
    topics: TopicNames,
    until: Callable[[AppealRecords], bool],
    timeout: float = 60.0,
) -> AppealRecords:
    """Read the appeal stage's outputs from the beginning until ``until`` holds."""
    names = {
        topics.appeal_outcomes: "outcomes",
        topics.appeal_tasks: "tasks",
        topics.decisions: "decisions",
        topics.statements: "statements",
    }
    records = AppealRecords()
    consumer = AIOKafkaConsumer(
        *names,
        topics.deadletter,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        while not until(records):
            if time.monotonic() > deadline:
                raise TimeoutError(f"appeal records incomplete after {timeout}s: {records}")
            batch = await consumer.getmany(timeout_ms=500)
            for tp, messages in batch.items():
                for message in messages:
                    data = json.loads(message.value)
                    if tp.topic == topics.deadletter:
                        records.dead_letters.append(data)
                        continue
                    key = (message.key or b"").decode()
                    getattr(records, names[tp.topic])[key].append(data)
    finally:
        await consumer.stop()
    return records
