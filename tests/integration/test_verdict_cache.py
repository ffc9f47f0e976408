"""Verdict cache end to end: identical content is judged once, also across a worker restart."""

from __future__ import annotations

import asyncio
import uuid

from pipeline_harness import Outcomes, Pipeline, collect, publish, request


def _calls(decision: dict[str, object]) -> int:
    cost = decision["cost"]
    assert isinstance(cost, dict)
    return sum(int(tier["calls"]) for tier in cost["tiers"])


async def _finals(pipeline: Pipeline, items: dict[str, str]) -> Outcomes:
    await publish(
        pipeline.bootstrap,
        pipeline.topics.requests,
        [request(cid, text) for cid, text in items.items()],
    )

    def done(outcomes: Outcomes) -> bool:
        return all(outcomes.final(cid) for cid in items)

    return await collect(pipeline.bootstrap, pipeline.topics, done, 60)


async def test_duplicates_cost_nothing_and_the_cache_survives_a_restart(
    pipeline: Pipeline,
) -> None:
    token = uuid.uuid4().hex[:8]
    clean = f"Lovely walk by the river this morning {token}"
    flagged = f"[[sim: haiku=flag:harassment:medium; sonnet=allow]] you goof {token}"
    worker = await asyncio.to_thread(pipeline.worker().start)
    first = await _finals(pipeline, {"clean-1": clean, "flagged-1": flagged})
    assert _calls(first.final("clean-1") or {}) == 1
    assert _calls(first.final("flagged-1") or {}) == 2  # Haiku, then Sonnet

    second = await _finals(pipeline, {"clean-2": clean, "flagged-2": flagged})
    for original, copy in (("clean-1", "clean-2"), ("flagged-1", "flagged-2")):
        made, reused = first.final(original), second.final(copy)
        assert made is not None
        assert reused is not None
        assert (reused["status"], reused["decided_by"]) == (made["status"], made["decided_by"])
        assert _calls(reused) == 0
        assert reused["cost"]["total_usd"] == 0

    assert await asyncio.to_thread(worker.stop) == 0
    await asyncio.to_thread(pipeline.worker().start)  # same group: the table is restored
    third = await _finals(
        pipeline, {"clean-3": clean, "flagged-3": flagged, "new-1": f"Fresh words {token}"}
    )
    assert _calls(third.final("clean-3") or {}) == 0
    assert _calls(third.final("flagged-3") or {}) == 0
    assert _calls(third.final("new-1") or {}) == 1


async def test_with_the_cache_off_every_copy_is_judged(pipeline: Pipeline) -> None:
    text = f"Same words twice {uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(pipeline.worker(MODERATION_VERDICT_CACHE__ENABLED="false").start)
    first = await _finals(pipeline, {"a": text})
    second = await _finals(pipeline, {"b": text})
    assert _calls(first.final("a") or {}) == 1
    assert _calls(second.final("b") or {}) == 1
