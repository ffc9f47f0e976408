"""Kill and restart: at-least-once holds under concurrency, nothing is skipped or lost."""

from __future__ import annotations

import asyncio
import re

from tests.integration.pipeline_harness import Outcomes, Pipeline, collect, publish, request


async def test_sigkill_while_an_earlier_offset_is_slow_skips_nothing(pipeline: Pipeline) -> None:
    pipeline.partitions = 1
    first = pipeline.worker()
    await asyncio.to_thread(first.start)
    slow = request("slow-0", "[[sim: all=latency:8000]] take your time")
    fast = [request(f"fast-{index}", f"quick note {index}") for index in range(10)]
    await publish(pipeline.bootstrap, pipeline.topics.requests, [slow, *fast])

    # The fast items finish (their decisions are on the topic) while offset 0 is still in flight.
    before = await collect(
        pipeline.bootstrap,
        pipeline.topics,
        lambda o: all(o.final(item.content_id) for item in fast),
        45,
    )
    assert before.final("slow-0") is None, "the slow item should still be in flight"
    first.kill()

    second = pipeline.worker()
    await asyncio.to_thread(second.start)
    everything = [slow, *fast]
    after = await collect(
        pipeline.bootstrap,
        pipeline.topics,
        lambda o: all(o.final(item.content_id) for item in everything),
        60,
    )
    lost = [item.content_id for item in everything if not after.terminal(item.content_id)]
    assert lost == []
    # Offsets after the unfinished one were never committed, so the restart redid them:
    # duplicates, never gaps. That is what at-least-once with in-order acks looks like.
    assert after.duplicates() >= len(fast)
    print(f"\nsigkill: inputs={len(everything)} lost=0 duplicates={after.duplicates()}")


async def test_two_workers_share_partitions_and_survive_one_dying(pipeline: Pipeline) -> None:
    pipeline.partitions = 4
    pipeline.extra_env["MODERATION_SESSION_TIMEOUT_S"] = "6"
    one = pipeline.worker()
    two = pipeline.worker()
    await asyncio.to_thread(one.start)
    await asyncio.to_thread(two.start)
    await _until_both_assigned(one, two)

    items = [
        request(f"shared-{index}", f"[[sim: haiku=latency:300]] message {index}")
        for index in range(60)
    ]
    await publish(pipeline.bootstrap, pipeline.topics.requests, items)
    await collect(
        pipeline.bootstrap,
        pipeline.topics,
        lambda o: sum(1 for item in items if o.final(item.content_id)) >= 10,
        45,
    )
    one.kill()

    def done(outcomes: Outcomes) -> bool:
        return all(outcomes.final(item.content_id) for item in items)

    outcomes = await collect(pipeline.bootstrap, pipeline.topics, done, 90)
    lost = [item.content_id for item in items if not outcomes.terminal(item.content_id)]
    assert lost == []
    print(f"\ntwo workers: inputs={len(items)} lost=0 duplicates={outcomes.duplicates()}")


async def _until_both_assigned(*workers: object) -> None:
    """Both members hold some of the partitions (the group really is shared)."""
    from tests.integration.pipeline_harness import Worker

    pattern = re.compile(r'"ready":\s*true')
    for _ in range(120):
        states = []
        for worker in workers:
            assert isinstance(worker, Worker)
            states.append(worker.ready())
        if all(states):
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"not every worker got partitions ({pattern.pattern})")
