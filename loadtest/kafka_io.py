"""Kafka side of a run: create topics, send requests on schedule, read what comes out."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from loadtest.measure import Observation, Terminal
from loadtest.traffic import Item
from moderation.settings import TopicNames
from moderation_contracts import dump_payload


async def create_topics(
    bootstrap: str, names: Sequence[str], partitions: int, compacted: Sequence[str] = ()
) -> None:
    """Create the run's topics; those in ``compacted`` keep the latest record per key (the
    worker's finalize state), as the worker itself would create them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        for name in names:
            configs = {"cleanup.policy": "compact"} if name in compacted else None
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs)])
    finally:
        await admin.close()


async def publish(
    bootstrap: str, topic: str, items: Sequence[Item], times: Sequence[float], observed: Observation
) -> float:
    """Send each item at its time (seconds after now); returns how late the last one went out."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    started = time.monotonic()
    pending = []
    try:
        for item, at in zip(items, times, strict=True):
            delay = started + at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            stamp = int(time.time() * 1000)
            cid = item.request.content_id
            observed.sent_ms[cid] = stamp
            observed.routes[cid] = item.route.value
            pending.append(
                await producer.send(
                    topic, dump_payload(item.request), key=cid.encode(), timestamp_ms=stamp
                )
            )
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return max(0.0, time.monotonic() - started - (times[-1] if times else 0.0))


def _service_terminal(topic: str, topics: TopicNames, data: dict[str, object]) -> str | None:
    """The content_id whose automated part this record ends, if it ends one."""
    if topic == topics.decisions:
        if data.get("decided_by") == "human":  # a reviewer's, after the automated part ended
            return None
        return str(data["content_id"]) if data.get("final") else None
    if topic == topics.human_review:
        request = data.get("request")
        return str(request["content_id"]) if isinstance(request, dict) else None
    return str(data["content_id"]) if data.get("content_id") else None


async def collect(
    bootstrap: str,
    topics: Sequence[str],
    observed: Observation,
    classify: Callable[[str, dict[str, object]], tuple[str | None, str]],
    done: Callable[[], bool],
    timeout_s: float,
    on_record: Callable[[str, dict[str, object]], None] | None = None,
) -> None:
    """Read ``topics`` from the start until ``done()`` or the timeout (items then count as lost).
    ``on_record`` sees every record read (the ``--reviewer`` answers tasks from there)."""
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout_s
        while not done() and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for tp, messages in batch.items():
                for message in messages:
                    data = json.loads(message.value or b"{}")
                    if on_record is not None:
                        on_record(tp.topic, data)
                    content_id, kind = classify(tp.topic, data)
                    if content_id is None:
                        continue
                    cost = data.get("cost")
                    observed.record(
                        content_id,
                        Terminal(
                            at_ms=int(message.timestamp),
                            kind=kind,
                            decided_by=data.get("decided_by"),
                            cost=cost if isinstance(cost, dict) else {},
                        ),
                    )
    finally:
        await consumer.stop()


def service_classifier(
    topics: TopicNames,
) -> Callable[[str, dict[str, object]], tuple[str | None, str]]:
    kinds = {
        topics.decisions: "decision",
        topics.human_review: "task",
        topics.deadletter: "deadletter",
    }

    def classify(topic: str, data: dict[str, object]) -> tuple[str | None, str]:
        return _service_terminal(topic, topics, data), kinds.get(topic, "?")

    return classify


def baseline_classifier(topic: str, data: dict[str, object]) -> tuple[str | None, str]:
    cid = data.get("content_id")
    return (str(cid) if cid else None), "decision"
