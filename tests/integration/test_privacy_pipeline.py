"""Privacy end to end: a worker at DEBUG log level moderates content carrying a canary through
every route; neither the canary nor the API key shows up in its logs, traces or metrics."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.integration.pipeline_harness import Outcomes, Pipeline, collect, publish, request

pytestmark = pytest.mark.integration

CANARY = "okapi-canary-5521"
API_KEY = "sk-ant-api03-okapi-canary-key"
ITEMS = {
    "p-allowed": f"my cousin {CANARY} baked bread today",
    "p-flagged": f"[[sim: all=flag:violence:high]] {CANARY} I will hurt you",
    "p-overturned": f"[[sim: haiku=flag:harassment:medium; sonnet=allow]] {CANARY} dumb",
    "p-haiku-down": f"[[sim: haiku=status:529; sonnet=allow]] {CANARY} anything",
    "p-malformed": f"[[sim: haiku=malformed]] {CANARY} hello",
}


async def test_no_content_or_key_in_logs_traces_or_metrics(pipeline: Pipeline) -> None:
    worker = pipeline.worker(
        MODERATION_LOG_LEVEL="debug",
        ANTHROPIC_API_KEY=API_KEY,
        MODERATION_TRIAGE__MAX_RETRIES="1",
        MODERATION_TRIAGE__BACKOFF_BASE_S="0.05",
    )
    await asyncio.to_thread(worker.start)
    items = [request(cid, text) for cid, text in ITEMS.items()]
    bad = (b"p-invalid", f'{{"content_id": "p-invalid", "text": "{CANARY}"'.encode())
    await publish(pipeline.bootstrap, pipeline.topics.requests, [*items, bad])

    def done(outcomes: Outcomes) -> bool:
        return all(outcomes.terminal(cid) for cid in ITEMS) and bool(outcomes.dead_letters)

    await collect(pipeline.bootstrap, pipeline.topics, done, 60)
    metrics = worker.metrics()
    assert worker.process is not None
    worker.process.send_signal(signal.SIGUSR1)  # the operator's state report: no content
    await _logged(worker.log_path, "state on SIGUSR1")
    assert worker.stop() == 0
    log = worker.log_path.read_text(errors="replace")
    traces_file = pipeline.workdir / "traces.jsonl"
    traces = traces_file.read_text(errors="replace") if traces_file.exists() else ""
    # The evidence is really there: debug logs, one span per LLM call, served metrics.
    assert " DEBUG " in log
    assert '"chat claude-haiku-4-5"' in traces
    assert "content_hash" in traces, "a hash may identify the content; the text may not"
    assert metrics.strip(), "metrics were served"
    for where, text in (("worker log", log), ("traces", traces), ("metrics", metrics)):
        assert CANARY not in text, f"content leaked into {where}"
        assert API_KEY not in text, f"API key leaked into {where}"


async def _logged(path: Path, line: str, timeout_s: float = 10.0) -> None:
    for _ in range(int(timeout_s * 10)):
        if line in await asyncio.to_thread(path.read_text, errors="replace"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{line!r} never logged")
