"""Batch mode end to end: triage through Message Batches at half price, every item decided."""

from __future__ import annotations

import asyncio
import json
import urllib.request

from moderation.pricing import PriceTable, TokenUsage
from tests.integration.pipeline_harness import (
    Outcomes,
    Pipeline,
    collect,
    publish,
    request,
    text_token,
)

BATCH_ENV = {
    "MODERATION_BATCH__ENABLED": "true",
    "MODERATION_BATCH__MAX_WAIT_MS": "300",
    "MODERATION_BATCH__POLL_INTERVAL_S": "0.1",
}


def _batches_created(sim_url: str) -> int:
    with urllib.request.urlopen(f"{sim_url}/_sim/stats", timeout=5) as answer:  # noqa: S310
        return int(json.loads(answer.read())["batches"]["created"])


async def test_batch_mode_delivers_every_decision_at_half_price(pipeline: Pipeline) -> None:
    token = text_token()
    items = {f"clean-{n}": f"Nice picture number {n} {token}" for n in range(12)}
    items["review"] = f"[[sim: haiku=flag:harassment:medium; sonnet=allow]] meh {token}"
    items["human"] = f"[[sim: all=flag:violence:high]] threat {token}"
    items["batch-error"] = f"[[sim: haiku=status:529]] errored in the batch {token}"
    before = _batches_created(pipeline.sim_url)
    await asyncio.to_thread(pipeline.worker(**BATCH_ENV).start)
    await publish(
        pipeline.bootstrap,
        pipeline.topics.requests,
        [request(cid, text) for cid, text in items.items()],
    )

    def done(outcomes: Outcomes) -> bool:
        return all(outcomes.terminal(cid) for cid in items)

    outcomes = await collect(pipeline.bootstrap, pipeline.topics, done, 60)
    assert _batches_created(pipeline.sim_url) > before
    prices = PriceTable.default()
    for n in range(12):
        final = outcomes.final(f"clean-{n}")
        assert final is not None, (outcomes.tasks.get(f"clean-{n}"), outcomes.dead_letters[:1])
        assert (final["status"], final["decided_by"]) == ("allowed", "haiku")
        (tier,) = final["cost"]["tiers"]
        usage = TokenUsage(
            input_tokens=tier["input_tokens"],
            output_tokens=tier["output_tokens"],
            cache_write_5m_tokens=tier["cache_write_input_tokens"],
            cache_read_tokens=tier["cache_read_input_tokens"],
        )
        full = float(prices.cost(tier["model"], usage).total_usd)
        assert abs(tier["cost_usd"] - full / 2) < 1e-9, "batch calls are billed at 50%"
    review = outcomes.final("review")
    assert review is not None
    assert review["decided_by"] == "sonnet"
    assert outcomes.tasks["human"], "a confirmed flag still reaches human review"
    # The errored batch line fell back to an interactive call (529 again: the tier's fail mode).
    assert outcomes.terminal("batch-error")
