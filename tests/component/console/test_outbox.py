"""The outbox: marked sent only after the send succeeded; a crash in between re-sends the same
bytes, never a different decision."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from moderation.console.accounts import user_named
from moderation.console.decisions import decide
from moderation.console.models import OutboxMessage
from moderation.console.outbox import publish_pending
from moderation.console.principal import Principal
from moderation.console.queue import claim
from moderation.console.samples import sample_task
from moderation_contracts import HumanAction
from tests.component.console.console_web_harness import Console


def _decide_two(console: Console) -> None:
    console.add_tasks(sample_task(1), sample_task(2))
    with console.state.factory.begin() as session:
        user = user_named(session, "rita")
        assert user is not None
        rita = Principal.of(user, "token")
        now = console.state.clock()
        for task_id in ("task-acme-1", "task-acme-2"):
            claim(session, rita, task_id, now=now, lease_s=60)
            decide(
                session,
                rita,
                task_id,
                action=HumanAction.ALLOW,
                categories=[],
                notes="",
                topic="out",
                now=now,
            )


async def test_a_crash_after_the_ack_resends_identical_bytes(console: Console) -> None:
    _decide_two(console)
    sent: list[tuple[str, bytes, bytes]] = []

    async def crash_after_first_ack(topic: str, key: bytes, value: bytes) -> None:
        sent.append((topic, key, value))
        raise asyncio.CancelledError  # the process dies before the database update

    with pytest.raises(asyncio.CancelledError):
        await publish_pending(console.state.factory, crash_after_first_ack)

    async def ok(topic: str, key: bytes, value: bytes) -> None:
        sent.append((topic, key, value))

    assert await publish_pending(console.state.factory, ok) == 2
    assert await publish_pending(console.state.factory, ok) == 0
    assert [key for _, key, _ in sent] == [b"item-1", b"item-1", b"item-2"]
    assert sent[0] == sent[1]
    with console.state.factory() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert all(row.sent_at is not None for row in rows)


async def test_a_refused_send_stays_pending_in_order(console: Console) -> None:
    _decide_two(console)

    async def down(topic: str, key: bytes, value: bytes) -> None:
        raise ConnectionError("broker unavailable")

    assert await publish_pending(console.state.factory, down) == 0
    with console.state.factory() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.sent_at, r.attempts, r.last_error) for r in rows] == [
        (None, 1, "ConnectionError"),
        (None, 0, None),
    ]
