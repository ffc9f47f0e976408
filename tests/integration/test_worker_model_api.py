"""A model API that cannot be reached is loud: not ready, an ERROR line; a wrong key stops."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from moderation_dev.devkafka import free_port
from tests.integration.pipeline_harness import Pipeline


def _readyz(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:
        return 0, {}


@pytest.mark.integration
def test_unreachable_api_fails_readiness_and_says_so(pipeline: Pipeline) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    worker = pipeline.worker("triage", ANTHROPIC_BASE_URL=nobody)
    process = worker.launch()
    deadline = time.monotonic() + 45
    status, body = 0, {}
    while time.monotonic() < deadline and process.poll() is None:
        status, body = _readyz(worker.web_port)
        if status == 503 and "model API" in str(body.get("detail")):
            break
        time.sleep(0.5)
    assert (status, "model API" in str(body.get("detail"))) == (503, True), worker.log_tail()
    said = worker.log_path.read_text(errors="replace")
    assert f"ERROR moderation.worker: model API: {nobody} cannot be reached" in said
    assert "triage uses claude-haiku-4-5" in said


@pytest.mark.integration
async def test_a_rejected_key_stops_the_worker_with_one_line(pipeline: Pipeline) -> None:
    worker = pipeline.worker("triage", ANTHROPIC_API_KEY="sk-invalid-for-this-test")
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "moderation.cli", "worker"],
        env=worker.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "rejected ANTHROPIC_API_KEY (HTTP 401)" in done.stderr.splitlines()[-1]
