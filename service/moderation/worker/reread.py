"""Read a range of offsets of one partition straight from the broker (no group, no commit).

The runner uses it when records never reached its stream (see StageRunner._fill_gap).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from moderation.settings import Settings
from moderation.worker.kafka_config import client_security


async def read_range(
    settings: Settings, topic: str, partition: int, start: int, end: int, wait_s: float = 10.0
) -> list[Any]:
    """Records of ``topic[partition]`` with ``start <= offset < end`` (fewer if it runs out)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        enable_auto_commit=False,
        group_id=None,
        **client_security(settings),
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, start)
        found: list[Any] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while loop.time() < deadline:
            batch = await consumer.getmany(tp, timeout_ms=500)
            for record in batch.get(tp, []):
                if start <= record.offset < end:
                    found.append(record)
            if found and found[-1].offset >= end - 1:
                break
            if await consumer.position(tp) >= end:
                break
        return found
    finally:
        await consumer.stop()
