"""Publishing decisions from the outbox: marked sent only after the broker acknowledged them.

A crash between the broker's acknowledgement and the database update sends the same bytes
again on restart: the worker sees a duplicate of one decision, never two different decisions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from moderation.console.models import OutboxMessage

log = logging.getLogger(__name__)

Send = Callable[[str, bytes, bytes], Awaitable[None]]
"""(topic, key, value): resolves once the broker acknowledged the record (acks=all)."""


@dataclass(frozen=True, slots=True)
class Pending:
    id: int
    topic: str
    key: bytes
    value: bytes


def pending(session: Session, limit: int = 100) -> list[Pending]:
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [Pending(row.id, row.topic, row.key, row.value) for row in rows]


def mark_sent(session: Session, message_id: int, now: datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(sent_at=now, attempts=OutboxMessage.attempts + 1, last_error=None)
    )


def mark_failed(session: Session, message_id: int, error: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(attempts=OutboxMessage.attempts + 1, last_error=error[:500])
    )


def unsent_count(session: Session) -> int:
    query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    return session.scalar(query) or 0


async def publish_pending(factory: sessionmaker[Session], send: Send) -> int:
    """Send every unsent message in order; returns how many were sent. Stops at the first
    failure (left for the next round), so messages for one item keep their order."""

    def load() -> list[Pending]:
        with factory() as session:
            return pending(session)

    def record(message_id: int, error: str | None) -> None:
        with factory.begin() as session:
            if error is None:
                mark_sent(session, message_id, datetime.now(UTC))
            else:
                mark_failed(session, message_id, error)

    sent = 0
    while batch := await asyncio.to_thread(load):
        for message in batch:
            try:
                await send(message.topic, message.key, message.value)
            except Exception as exc:  # the broker is down or refused: retry later
                log.warning("outbox: publishing failed (%s); will retry", type(exc).__name__)
                await asyncio.to_thread(record, message.id, type(exc).__name__)
                return sent
            await asyncio.to_thread(record, message.id, None)
            sent += 1
    return sent


async def run_publisher(
    factory: sessionmaker[Session],
    send: Send,
    wake: asyncio.Event,
    *,
    poll_s: float = 2.0,
) -> None:
    """Forever: publish what is pending, then wait for a new decision or ``poll_s``."""
    while True:
        try:
            await publish_pending(factory, send)
        except Exception:  # database hiccup: log without payloads and try again
            log.exception("outbox: round failed; retrying")
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), poll_s)
