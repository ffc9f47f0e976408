"""A running worker picks up an edited policy file without a restart; an invalid edit keeps the
policy in force, with one ERROR line and a metric."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.integration.pipeline_harness import Pipeline, Worker, collect, publish, request

pytestmark = pytest.mark.integration

POLICY = 'tenants:\n  acme:\n    version: "{version}"\n'


async def decided_version(pipeline: Pipeline, content_id: str) -> str:
    await publish(pipeline.bootstrap, pipeline.topics.requests, [request(content_id, "hi there")])
    outcomes = await collect(
        pipeline.bootstrap, pipeline.topics, lambda o: o.final(content_id) is not None, 60
    )
    final = outcomes.final(content_id)
    assert final is not None
    return str(final["policy_version"])


async def wait_for_log(worker: Worker, text: str, count: int = 1) -> None:
    deadline = time.monotonic() + 20
    while worker.log_tail(500).count(text) < count:
        assert time.monotonic() < deadline, f"never logged {text!r}"
        await asyncio.sleep(0.3)


async def test_an_edited_policy_applies_without_a_restart(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(version="1"), encoding="utf-8")
    worker = pipeline.worker(
        MODERATION_POLICY_FILE=str(policy), MODERATION_POLICY_RELOAD_INTERVAL_S="0.5"
    )
    await asyncio.to_thread(worker.start)
    assert (await decided_version(pipeline, "before")).endswith(":acme.1")

    policy.write_text(POLICY.format(version="20"), encoding="utf-8")
    await wait_for_log(worker, "policy reloaded")
    assert (await decided_version(pipeline, "after")).endswith(":acme.20")

    policy.write_text("tenants: [broken", encoding="utf-8")
    await wait_for_log(worker, "policy reload failed")
    assert (await decided_version(pipeline, "kept")).endswith(":acme.20")
    errors = [line for line in worker.log_tail(500).splitlines() if " ERROR moderation." in line]
    assert len(errors) == 1, errors
    metrics = worker.metrics()
    assert 'moderation_policy_reloads_total{moderation_result="invalid"' in metrics
    assert worker.process is not None
    assert worker.process.poll() is None
