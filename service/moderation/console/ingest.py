"""Reading tasks from the human-review topic into the database.

Offsets are committed only after the database transaction that stored the batch committed, so a
crash re-reads the batch and the idempotent insert (on ``task_id``) skips what is already there.
A record that breaks the contract goes to the dead-letter topic with its original bytes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from moderation.console.tasks import store_appeal_tasks, store_tasks
from moderation_contracts import (
    AppealTask,
    ContractError,
    DeadLetter,
    HumanReviewTask,
    dump_payload,
    parse_payload,
)

log = logging.getLogger(__name__)

STAGE = "console-ingest"

Send = Callable[[str, bytes, bytes], Awaitable[None]]


@dataclass
class IngestStats:
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    last_batch_at: datetime | None = None
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RawRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes | None], ...] = ()


def dead_letter_for(record: RawRecord, error: ContractError) -> DeadLetter:
    return DeadLetter.capture(
        record.value,
        record.key,
        error_code=error.code,
        error_message=error.message,
        error_schema=error.schema,
        source_topic=record.topic,
        source_partition=record.partition,
        source_offset=record.offset,
        stage=STAGE,
        headers=record.headers,
    )


async def ingest_batch(
    factory: sessionmaker[Session],
    records: list[RawRecord],
    *,
    send: Send,
    deadletter_topic: str,
    stats: IngestStats,
    appeal_topic: str | None = None,
) -> None:
    """Store a batch; dead-letter what breaks the contract. Returns when both are durable.

    Records of ``appeal_topic`` are appeal tasks (the appeals queue); the others human-review
    tasks."""
    tasks: list[HumanReviewTask] = []
    appeals: list[AppealTask] = []
    for record in records:
        try:
            if record.topic == appeal_topic:
                appeals.append(parse_payload(AppealTask, record.value))
            else:
                tasks.append(parse_payload(HumanReviewTask, record.value))
        except ContractError as error:
            letter = dead_letter_for(record, error)
            await send(deadletter_topic, record.key or b"", dump_payload(letter))
            stats.dead_letters += 1
            log.warning(
                "ingest: record %s/%d@%d dead-lettered: %s",
                record.topic,
                record.partition,
                record.offset,
                error.code,
            )

    def store() -> int:
        with factory.begin() as session:
            now = datetime.now(UTC)
            return store_tasks(session, tasks, now=now) + store_appeal_tasks(
                session, appeals, now=now
            )

    new = await asyncio.to_thread(store)
    stats.stored += new
    stats.duplicates += len(tasks) + len(appeals) - new
    stats.last_batch_at = datetime.now(UTC)


async def run_ingest(
    consumer: Any,
    factory: sessionmaker[Session],
    *,
    send: Send,
    deadletter_topic: str,
    stats: IngestStats,
    max_records: int = 500,
    appeal_topic: str | None = None,
) -> None:
    """Forever: fetch a batch, store it, then commit its offsets (an aiokafka consumer)."""
    while True:
        batch = await consumer.getmany(timeout_ms=1000, max_records=max_records)
        records = [
            RawRecord(
                tp.topic,
                tp.partition,
                message.offset,
                message.key,
                message.value if message.value is not None else b"",
                tuple(message.headers or ()),
            )
            for tp, messages in batch.items()
            for message in messages
        ]
        if not records:
            continue
        await ingest_batch(
            factory,
            records,
            send=send,
            deadletter_topic=deadletter_topic,
            stats=stats,
            appeal_topic=appeal_topic,
        )
        await consumer.commit({tp: messages[-1].offset + 1 for tp, messages in batch.items()})
