"""The Kafka side of a chaos run: publish the items, read every output, play the reviewer.

All three keep going through a broker restart: a send that fails is sent again, and the reader
(no consumer group, from the earliest offset) reconnects by itself.

The scripted reviewer reads ``moderation.review.human.v1`` and answers each task once, after a
short human-like pause, on ``moderation.human-decisions.v1``, keyed by ``content_id`` on the
partition librdkafka's default partitioner picks (CRC-32 of the key): what a reviewer tool
built on kcat, confluent-kafka-python, Go or .NET would do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from loadtest.chaos.cluster import now_ms
from loadtest.chaos.ledger import Ledger
from loadtest.chaos.partitioner import librdkafka_partition
from loadtest.traffic import Item
from moderation.settings import TopicNames
from moderation_contracts import ContractError, HumanReviewTask, dump_payload, parse_payload
from moderation_dev.demo.reviewer import answer

REVIEWER_ID = "chaos-reviewer"
RETRY_S = 1.0
T = TypeVar("T")


def producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", request_timeout_ms=10_000)


async def retrying(call: Callable[[], Awaitable[T]], give_up_s: float = 180.0) -> T:
    """``call()`` again and again while the broker is away (a restart), up to ``give_up_s``."""
    deadline = asyncio.get_running_loop().time() + give_up_s
    while True:
        try:
            return await call()
        except KafkaError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(RETRY_S)


async def publish(
    bootstrap: str, topic: str, items: Sequence[Item], rate: float, ledger: Ledger
) -> None:
    """Send the items at ``rate`` per second; an item counts as sent once the broker has it."""
    client = producer(bootstrap)
    await client.start()
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        for serial, item in enumerate(items):
            delay = started + serial / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            cid = item.request.content_id
            send = partial(client.send_and_wait, topic, dump_payload(item.request), cid.encode())
            await retrying(send)
            ledger.sent(cid, item.route.value, now_ms())
    finally:
        await client.stop()


@dataclass
class Observer:
    """Reads decisions, human-review tasks and dead letters into the ledger; answers tasks."""

    bootstrap: str
    topics: TopicNames
    ledger: Ledger
    rng: random.Random
    partition_for: Callable[[bytes, int], int] = librdkafka_partition
    answer_delay_s: tuple[float, float] = (0.2, 1.5)
    answered: set[str] = field(default_factory=set)
    failed_answers: int = 0
    max_read_lag_ms: int = 0
    """Longest wait between a record's timestamp and this reader seeing it: shows that late
    terminal records were late in the service, not in the soak's own reading."""
    _pending: set[asyncio.Task[None]] = field(default_factory=set)

    async def run(self, stop: asyncio.Event) -> None:
        topics = self.topics
        consumer = AIOKafkaConsumer(
            topics.decisions,
            topics.human_review,
            topics.deadletter,
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        reviewer = producer(self.bootstrap)
        await consumer.start()
        await reviewer.start()
        try:
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=300)
                for tp, messages in batch.items():
                    for message in messages:
                        self._read(reviewer, tp.topic, message.value, int(message.timestamp))
        finally:
            for task in list(self._pending):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*self._pending, return_exceptions=True)
            await consumer.stop()
            await reviewer.stop()

    def _read(self, reviewer: AIOKafkaProducer, topic: str, value: bytes | None, at: int) -> None:
        self.max_read_lag_ms = max(self.max_read_lag_ms, now_ms() - at)
        try:
            data: dict[str, Any] = json.loads(value or b"{}")
        except ValueError:
            return
        topics = self.topics
        if topic == topics.decisions:
            self.ledger.decision(str(data["content_id"]), bool(data.get("final")), at)
        elif topic == topics.deadletter:
            cid = data.get("content_id")
            self.ledger.dead_letter(
                str(cid) if cid else None,
                str(data.get("error_code")),
                data.get("source_topic") == topics.human_decisions,
                at,
            )
        elif topic == topics.human_review:
            self._task(reviewer, value or b"")

    def _task(self, reviewer: AIOKafkaProducer, value: bytes) -> None:
        try:
            task = parse_payload(HumanReviewTask, value)
        except ContractError:
            return
        self.ledger.task(task.request.content_id)
        if task.task_id in self.answered:
            return
        self.answered.add(task.task_id)
        job = asyncio.create_task(self._answer(reviewer, task))
        self._pending.add(job)
        job.add_done_callback(self._pending.discard)

    async def _answer(self, reviewer: AIOKafkaProducer, task: HumanReviewTask) -> None:
        await asyncio.sleep(self.rng.uniform(*self.answer_delay_s))
        decision = answer(task, datetime.now(UTC), REVIEWER_ID)
        key = decision.content_id.encode()
        topic = self.topics.human_decisions
        try:
            partitions = await retrying(lambda: reviewer.partitions_for(topic))
            partition = self.partition_for(key, len(partitions))
            value = dump_payload(decision)
            await retrying(
                lambda: reviewer.send_and_wait(topic, value, key=key, partition=partition)
            )
        except KafkaError:
            self.failed_answers += 1  # the item then stalls, which the figures show
            return
        self.ledger.answered(decision.content_id)
