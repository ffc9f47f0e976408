"""Reading the dead-letter topic and publishing replays: the only Kafka I/O of this package."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from moderation.deadletter.replay import ReplayRecord, Selection
from moderation.settings import Settings
from moderation.worker.kafka_config import client_security
from moderation_contracts import ContractError, parse_payload
from moderation_contracts.common import ContractModel

P = TypeVar("P", bound=ContractModel)


def throwaway_group(app_id: str) -> str:
    """A consumer group used once and never committed, so replays never move anybody's offsets."""
    return f"{app_id}-deadletter-replay-{uuid.uuid4().hex[:12]}"


async def partitions_of(bootstrap: str, topic: str, security: dict[str, Any]) -> list[int]:
    """The topic's partition ids; LookupError when it does not exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    found = [
        int(partition["partition"])
        for entry in described
        if entry.get("topic") == topic and not entry.get("error_code")
        for partition in entry.get("partitions", [])
    ]
    if not found:
        raise LookupError(f"topic {topic} does not exist or has no partitions")
    return sorted(found)


async def read_all(
    bootstrap: str,
    topic: str,
    *,
    group: str,
    security: dict[str, Any],
    timeout_s: float = 60.0,
) -> list[Selection]:
    """Every record on ``topic`` from the beginning up to its end at the time of the call."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
        **security,
    )
    try:
        await consumer.start()
    except BaseException:
        await consumer.stop()  # a broker that cannot be reached leaves a half-started client
        raise
    found: list[Selection] = []
    try:
        partitions = await partitions_of(bootstrap, topic, security)
        assigned = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(assigned)
        deadline = time.monotonic() + timeout_s
        while await _behind(consumer, ends):
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} took longer than {timeout_s:.0f}s")
            batch = await consumer.getmany(timeout_ms=500)
            for tp, messages in batch.items():
                for message in messages:
                    if message.offset < ends[tp] and message.value is not None:
                        found.append(Selection(tp.partition, message.offset, message.value))
    finally:
        await consumer.stop()
    return found


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


async def publish(
    bootstrap: str, records: Sequence[ReplayRecord], *, security: dict[str, Any]
) -> list[tuple[ReplayRecord, int, int]]:
    """Send every record (acks=all) and return where each one landed, in order."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        max_request_size=4 * 1024 * 1024,
        **security,
    )
    await producer.start()
    landed: list[tuple[ReplayRecord, int, int]] = []
    try:
        for record in records:
            metadata = await producer.send_and_wait(
                record.topic, record.value, key=record.key, headers=list(record.headers)
            )
            landed.append((record, metadata.partition, metadata.offset))
    finally:
        await producer.stop()
    return landed


def read_contract_records(
    settings: Settings, topic: str, payload: type[P], purpose: str
) -> tuple[list[P], int]:
    """Every record on ``topic`` parsed as ``payload``, and how many did not match its contract
    (for the report and export commands; ``purpose`` names their throwaway consumer group)."""
    found = asyncio.run(
        read_all(
            settings.bootstrap_servers,
            topic,
            group=f"{settings.app_id}-{purpose}-{os.getpid()}",
            security=client_security(settings),
        )
    )
    parsed: list[P] = []
    unreadable = 0
    for selection in found:
        try:
            parsed.append(parse_payload(payload, selection.value))
        except ContractError:
            unreadable += 1
    return parsed, unreadable
