"""Canary end to end: a hashed share of items is judged by the candidate, for real, and says so."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from moderation.rollout.sampling import in_share
from tests.integration.pipeline_harness import Outcomes, Pipeline, collect, publish, request

CANDIDATE = """\
id: haiku-next
triage: {model: claude-haiku-5-5, max_tokens: 400}
review: {model: claude-sonnet-4-5, max_tokens: 800}
"""


async def test_the_canary_share_is_judged_by_the_candidate(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    config = tmp_path / "candidate.yaml"
    config.write_text(CANDIDATE)
    token = uuid.uuid4().hex[:8]
    items = {f"cy-{token}-{i:02d}": f"Lovely walk by the river, day {i}" for i in range(24)}
    items[f"cy-{token}-flag"] = "[[sim: haiku=flag:spam:high; sonnet=allow]] buy now"
    await asyncio.to_thread(
        pipeline.worker(
            MODERATION_CANARY__CONFIG_FILE=str(config),
            MODERATION_CANARY__SHARE_PERCENT="50",
            MODERATION_CANARY__UNIT="item",
            MODERATION_CANARY__BASELINE_ID="prod-2026-11",
        ).start
    )
    await publish(
        pipeline.bootstrap, pipeline.topics.requests, [request(k, v) for k, v in items.items()]
    )

    def done(outcomes: Outcomes) -> bool:
        return all(outcomes.final(cid) for cid in items)

    outcomes = await collect(pipeline.bootstrap, pipeline.topics, done, 90)
    sides = set()
    for cid in items:
        final = outcomes.final(cid)
        assert final is not None
        candidate = in_share(cid, 50, "canary")
        sides.add(candidate)
        assert final["config_id"] == ("haiku-next" if candidate else "prod-2026-11"), cid
        triage_model = final["models"][0]
        assert triage_model == ("claude-haiku-5-5" if candidate else "claude-haiku-4-5"), cid
        if cid.endswith("flag"):  # the review tier follows the same side
            review_model = final["models"][1]
            assert review_model == ("claude-sonnet-4-5" if candidate else "claude-sonnet-4-6")
    assert sides == {True, False}
