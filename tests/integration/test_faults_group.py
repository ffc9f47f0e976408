"""Fault injection: two workers share a consumer group; one is killed, the other takes over."""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.faults_figures import figures, report
from tests.integration.pipeline_harness import Outcomes, Pipeline, collect, publish, request

pytestmark = [pytest.mark.integration, pytest.mark.faults]


async def test_the_surviving_worker_takes_over_the_dead_ones_partitions(
    pipeline: Pipeline,
) -> None:
    pipeline.partitions = 4
    pipeline.extra_env["MODERATION_SESSION_TIMEOUT_S"] = "6"
    env = {"MODERATION_TRIAGE__MAX_IN_FLIGHT": "4"}
    doomed, survivor = pipeline.worker(**env), pipeline.worker(**env)
    await asyncio.to_thread(doomed.start)
    await asyncio.to_thread(survivor.start)
    items = [
        request(f"group-{index}", f"[[sim: haiku=latency:300]] a message numbered {index}")
        for index in range(40)
    ]
    await publish(pipeline.bootstrap, pipeline.topics.requests, items)

    def count(outcomes: Outcomes) -> int:
        return sum(1 for item in items if outcomes.terminal(item.content_id))

    def every_partition_started(outcomes: Outcomes) -> bool:
        # Decisions share the requests' key and partition count, so their partitions tell which
        # request partitions have made progress (and so have a committed offset soon after).
        seen = {p for offsets in outcomes.decision_offsets.values() for p, _ in offsets}
        return len(seen) == pipeline.partitions

    before = await collect(pipeline.bootstrap, pipeline.topics, every_partition_started, 60)
    await asyncio.sleep(1.5)  # one commit interval: both members have committed progress
    doomed.kill()
    after = await collect(pipeline.bootstrap, pipeline.topics, lambda o: count(o) == len(items), 90)
    assert survivor.process is not None
    made = report(
        figures(
            "two workers, one SIGKILLed",
            [item.content_id for item in items],
            after,
            notes=f"terminal before kill={count(before)}; survivor alive="
            f"{survivor.process.poll() is None}",
        )
    )
    assert made.lost == ()
    assert survivor.process.poll() is None
