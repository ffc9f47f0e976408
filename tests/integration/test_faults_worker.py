"""Fault injection: SIGKILL a worker mid-stream under load, restart it, lose nothing."""

from __future__ import annotations

import asyncio

import pytest

from moderation_contracts import ModerationRequest
from tests.integration.faults_figures import figures, report
from tests.integration.pipeline_harness import Outcomes, Pipeline, collect, publish, request

pytestmark = [pytest.mark.integration, pytest.mark.faults]

TEXTS = (
    "[[sim: haiku=latency:700]] a calm note about gardening",
    "[[sim: haiku=flag:harassment:medium; sonnet=allow; all=latency:500]] you are a bit dumb",
    "[[sim: all=flag:violence:high; all=latency:400]] I will hurt you",
    "a plain hello with no delay",
)


def load(count: int) -> list[ModerationRequest]:
    return [request(f"crash-{index}", TEXTS[index % len(TEXTS)]) for index in range(count)]


def terminal_count(outcomes: Outcomes, items: list[ModerationRequest]) -> int:
    return sum(1 for item in items if outcomes.terminal(item.content_id))


async def test_sigkill_mid_stream_then_restart_loses_nothing(pipeline: Pipeline) -> None:
    pipeline.partitions = 2
    first = pipeline.worker(MODERATION_TRIAGE__MAX_IN_FLIGHT="8")
    await asyncio.to_thread(first.start)
    items = load(40)
    await publish(pipeline.bootstrap, pipeline.topics.requests, items)
    before = await collect(
        pipeline.bootstrap, pipeline.topics, lambda o: terminal_count(o, items) >= 8, 60
    )
    done_before = terminal_count(before, items)
    assert done_before < len(items), "the kill must land while work is still in flight"
    first.kill()

    second = pipeline.worker(MODERATION_TRIAGE__MAX_IN_FLIGHT="8")
    await asyncio.to_thread(second.start)

    def everything_terminal(outcomes: Outcomes) -> bool:
        return terminal_count(outcomes, items) == len(items)

    after = await collect(pipeline.bootstrap, pipeline.topics, everything_terminal, 90)
    made = report(
        figures(
            "worker SIGKILL + restart",
            [item.content_id for item in items],
            after,
            notes=f"terminal before kill={done_before}",
        )
    )
    assert made.lost == ()
    assert sum(made.outcomes.values()) == len(items)
