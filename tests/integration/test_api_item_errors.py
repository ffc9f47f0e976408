"""API errors end to end: an error that belongs to one item moves it up the ladder even under a
fail-open policy; a rejected deployment (402 billing) stops the worker's intake."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.integration.pipeline_harness import Outcomes, Pipeline, collect, publish, request

pytestmark = pytest.mark.integration

OPEN_POLICY = """\
tenants:
  openco:
    version: "1"
    fail_mode: open
"""

ITEM_ERRORS = {
    # content_id: (text, decided_by of the final decision)
    "bad-image-400": ("[[sim: haiku=status:400; sonnet=allow]] look at my picture", "sonnet"),
    "gone-404": ("[[sim: haiku=status:404; sonnet=allow]] see this", "sonnet"),
    "too-big-413": ("[[sim: all=status:413]] a very large post", "human"),
}


async def test_per_item_errors_escalate_and_are_never_allowed_by_fail_open(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(OPEN_POLICY, encoding="utf-8")
    await asyncio.to_thread(pipeline.worker(MODERATION_POLICY_FILE=str(policy)).start)
    items = [request(cid, text, "openco") for cid, (text, _) in ITEM_ERRORS.items()]
    await publish(pipeline.bootstrap, pipeline.topics.requests, items)

    def done(outcomes: Outcomes) -> bool:
        return all(outcomes.final(cid) for cid in ITEM_ERRORS)

    outcomes = await collect(
        pipeline.bootstrap, pipeline.topics, done, 90, reviewer={"too-big-413": "allow"}
    )
    for cid, (_, decided_by) in ITEM_ERRORS.items():
        final = outcomes.final(cid)
        assert final is not None
        assert (cid, final["decided_by"]) == (cid, decided_by), final["reason"]
        assert "fails open" not in (final["reason"] or "")
    task = outcomes.tasks["too-big-413"][0]
    assert task["escalation_reason"] == "item_rejected_by_api"
    assert "413" in task["reason"]


async def committed_offset(bootstrap: str, group: str, topic: str) -> int | None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    found = [meta.offset for tp, meta in offsets.items() if tp.topic == topic]
    return max(found) if found else None


async def test_a_billing_failure_stops_intake_fails_readiness_and_allows_nothing(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(OPEN_POLICY, encoding="utf-8")
    pipeline.partitions = 1
    worker = pipeline.worker(
        "triage", MODERATION_POLICY_FILE=str(policy), MODERATION_TRIAGE__MAX_IN_FLIGHT="1"
    )
    await asyncio.to_thread(worker.start)
    first = request("before", "a friendly note about bread", "openco")
    billed = request("billing", "[[sim: haiku=status:402]] anything", "openco")
    await publish(pipeline.bootstrap, pipeline.topics.requests, [first, billed])

    outcomes = await collect(
        pipeline.bootstrap, pipeline.topics, lambda o: o.final("before") is not None, 60
    )
    deadline = time.monotonic() + 30
    while await asyncio.to_thread(worker.ready):
        assert time.monotonic() < deadline, "readiness never failed"
        await asyncio.sleep(0.5)
    later = request("after", "another friendly note", "openco")
    await publish(pipeline.bootstrap, pipeline.topics.requests, [later])
    await asyncio.sleep(5)  # commit interval is 1s; give intake every chance to (wrongly) go on

    with pytest.raises(TimeoutError):
        outcomes = await collect(
            pipeline.bootstrap,
            pipeline.topics,
            lambda o: bool(o.decisions.get("billing") or o.decisions.get("after")),
            3,
        )
    group = f"{pipeline.app_id}-triage"
    committed = await committed_offset(pipeline.bootstrap, group, pipeline.topics.requests)
    assert committed is not None
    assert committed <= 1, "nothing at or past the failed record (offset 1) is committed"
    assert not outcomes.dead_letters
    assert worker.process is not None
    assert worker.process.poll() is None, "the worker stays up (a restart cannot fix billing)"
    errors = [line for line in worker.log_tail(400).splitlines() if " ERROR moderation." in line]
    assert len(errors) == 1, errors
    assert "configuration failure" in errors[0]
    assert "402" in errors[0]
    assert "billing" in errors[0]
    assert "moderation_configuration_failures_total{" in worker.metrics()
