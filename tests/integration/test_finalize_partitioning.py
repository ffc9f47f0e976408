"""Issue 22: a reviewer's answer is finalized whatever partition it lands on and whenever it
arrives. Reviewer tools may use librdkafka (CRC32 partitioning), two workers share the group,
answers may overtake their tasks by a minute, and a worker may restart in between."""

from __future__ import annotations

import asyncio
import re
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer

from moderation_contracts import (
    CategoryScore,
    EscalationReason,
    HumanAction,
    HumanDecision,
    HumanReviewTask,
    ModerationRequest,
    Priority,
    Severity,
    dump_payload,
)
from tests.integration.pipeline_harness import Outcomes, Pipeline, Worker, collect, publish

pytestmark = pytest.mark.integration


def crc32_partition(key: bytes, partitions: int) -> int:
    """librdkafka's default ``consistent_random`` partitioner for a non-empty key."""
    return zlib.crc32(key) % partitions


def murmur2_partition(key: bytes, partitions: int) -> int:
    from aiokafka.partitioner import murmur2

    return (murmur2(key) & 0x7FFFFFFF) % partitions


def task(content_id: str) -> HumanReviewTask:
    now = datetime.now(UTC)
    return HumanReviewTask(
        task_id=f"task-{content_id}",
        request=ModerationRequest(
            content_id=content_id, tenant_id="acme", text="a borderline remark", submitted_at=now
        ),
        escalation_reason=EscalationReason.REVIEW_UNSURE,
        reason="needs a human",
        priority=Priority.NORMAL,
        review_deadline=now + timedelta(hours=4),
        created_at=now,
    )


def answer(content_id: str) -> HumanDecision:
    return HumanDecision(
        content_id=content_id,
        tenant_id="acme",
        task_id=f"task-{content_id}",
        reviewer_id="rev-1",
        action=HumanAction.REMOVE,
        categories=[CategoryScore(category="harassment", severity=Severity.MEDIUM)],
    )


async def publish_answers_crc32(pipeline: Pipeline, content_ids: Iterable[str]) -> None:
    """Publish answers the way a librdkafka-based tool does by default (kcat, confluent-kafka)."""
    producer = AIOKafkaProducer(bootstrap_servers=pipeline.bootstrap, acks="all")
    await producer.start()
    try:
        for content_id in content_ids:
            key = content_id.encode()
            await producer.send_and_wait(
                pipeline.topics.human_decisions,
                dump_payload(answer(content_id)),
                key=key,
                partition=crc32_partition(key, pipeline.partitions),
            )
    finally:
        await producer.stop()


async def publish_tasks(pipeline: Pipeline, content_ids: Iterable[str]) -> None:
    await publish(
        pipeline.bootstrap,
        pipeline.topics.human_review,
        [(c.encode(), dump_payload(task(c))) for c in content_ids],
    )


def finals(outcomes: Outcomes, content_ids: Iterable[str]) -> int:
    return sum(1 for c in content_ids if outcomes.final(c) is not None)


def routed(worker: Worker, route: str) -> float:
    """How many items the worker's finalize stage counted under ``route`` (from /metrics)."""
    total = 0.0
    for line in worker.metrics().splitlines():
        if line.startswith("moderation_items") and f'moderation_route="{route}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


async def wait_for(condition: object, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.5)


async def test_two_workers_finalize_answers_published_with_crc32_partitioning(
    pipeline: Pipeline,
) -> None:
    pipeline.partitions = 4
    ids = [f"crc-{index}" for index in range(16)]
    moved = [c for c in ids if crc32_partition(c.encode(), 4) != murmur2_partition(c.encode(), 4)]
    assert len(moved) >= 8, "most answers must land on another partition than their task"
    workers = [pipeline.worker(stages="finalize") for _ in range(2)]
    await asyncio.gather(*(asyncio.to_thread(w.start) for w in workers))
    await publish_tasks(pipeline, ids)
    await publish_answers_crc32(pipeline, ids)

    outcomes = await collect(
        pipeline.bootstrap, pipeline.topics, lambda o: finals(o, ids) == len(ids), 90
    )
    assert outcomes.dead_letters == []
    for content_id in ids:
        final = outcomes.final(content_id)
        assert final is not None
        assert (final["status"], final["decided_by"]) == ("removed", "human")


async def test_an_answer_published_a_minute_before_its_task_is_finalized(
    pipeline: Pipeline,
) -> None:
    worker = pipeline.worker(stages="finalize")
    await asyncio.to_thread(worker.start)
    await publish_answers_crc32(pipeline, ["early-1"])
    await wait_for(lambda: routed(worker, "parked") >= 1, 30)
    await asyncio.sleep(60)  # far longer than the old 5 s wait that rejected such answers
    await publish_tasks(pipeline, ["early-1"])

    outcomes = await collect(
        pipeline.bootstrap, pipeline.topics, lambda o: o.final("early-1") is not None, 45
    )
    assert outcomes.dead_letters == []
    assert outcomes.final("early-1")["status"] == "removed"  # type: ignore[index]


async def test_a_worker_restart_between_task_and_answer_loses_neither(
    pipeline: Pipeline,
) -> None:
    first = pipeline.worker(stages="finalize")
    await asyncio.to_thread(first.start)
    # One item's task comes first, the other's answer comes first; then the worker dies.
    await publish_tasks(pipeline, ["restart-task-first"])
    await publish_answers_crc32(pipeline, ["restart-answer-first"])
    await wait_for(lambda: routed(first, "task_open") >= 1 and routed(first, "parked") >= 1, 30)
    first.kill()

    second = pipeline.worker(stages="finalize")
    await asyncio.to_thread(second.start)
    await publish_answers_crc32(pipeline, ["restart-task-first"])
    await publish_tasks(pipeline, ["restart-answer-first"])

    ids = ["restart-task-first", "restart-answer-first"]
    outcomes = await collect(pipeline.bootstrap, pipeline.topics, lambda o: finals(o, ids) == 2, 60)
    assert outcomes.dead_letters == []
    assert all(re.fullmatch("removed", outcomes.final(c)["status"]) for c in ids)  # type: ignore[index]
