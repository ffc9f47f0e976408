"""Verdict cache end to end: identical content is judged once per worker; a decision from the
cache names the model and says so; the cache lives in the worker's memory (bounded)."""

from __future__ import annotations

import asyncio
import re

from tests.integration.pipeline_harness import (
    Outcomes,
    Pipeline,
    collect,
    publish,
    request,
    text_token,
)


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


async def test_duplicates_cost_nothing_while_the_worker_runs(
    pipeline: Pipeline,
) -> None:
    token = text_token()
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
        assert reused["from_cache"] is True
        assert made["from_cache"] is False
        assert reused["models"] == made["models"], "the models that made the verdicts"
    gauge = r'moderation_verdict_cache_entries\{moderation_tier="all"[^}]*\} (\S+)'
    entries = re.search(gauge, worker.metrics())
    assert entries is not None
    assert float(entries[1]) == 3  # clean (haiku), flagged (haiku, sonnet)

    # The cache lives in the worker's memory: a restarted worker judges copies once again.
    assert await asyncio.to_thread(worker.stop) == 0
    await asyncio.to_thread(pipeline.worker().start)
    third = await _finals(pipeline, {"clean-3": clean})
    assert _calls(third.final("clean-3") or {}) == 1


async def test_with_the_cache_off_every_copy_is_judged(pipeline: Pipeline) -> None:
    text = f"Same words twice {text_token()}"
    await asyncio.to_thread(pipeline.worker(MODERATION_VERDICT_CACHE__ENABLED="false").start)
    first = await _finals(pipeline, {"a": text})
    second = await _finals(pipeline, {"b": text})
    assert _calls(first.final("a") or {}) == 1
    assert _calls(second.final("b") or {}) == 1


async def test_two_workers_give_copies_the_same_decision(pipeline: Pipeline) -> None:
    """With two workers every copy still gets the original's decision; hits are partial.

    Each worker caches what it judged itself, in memory: a copy that lands on the other worker
    pays once more. loadtest/README.md has the figures.
    """
    token = text_token()
    texts = {
        f"orig-{n}": f"[[sim: haiku=flag:spam:low]] Holiday photo {n} {token}" for n in range(6)
    }
    for _ in range(2):
        await asyncio.to_thread(pipeline.worker().start)
    first = await _finals(pipeline, texts)
    copies = {f"copy-{n}-{k}": text for n, text in enumerate(texts.values()) for k in range(2)}
    second = await _finals(pipeline, copies)
    for n, original in enumerate(texts):
        made = first.final(original)
        assert made is not None
        for k in range(2):
            copy = second.final(f"copy-{n}-{k}")
            assert copy is not None
            assert (copy["status"], copy["categories"]) == (made["status"], made["categories"])
    paid = sum(_calls(second.final(cid) or {}) for cid in copies)
    assert paid < sum(_calls(first.final(cid) or {}) for cid in texts) * 2, "some copies hit"
