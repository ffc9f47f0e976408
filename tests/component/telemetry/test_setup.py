"""``setup()`` in a fresh process: env-driven exporters, idempotence, global providers, flush."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_PROGRAM = """
from opentelemetry import trace
from moderation.telemetry import setup
from moderation.telemetry.kafka import consume_span

first = setup("moderation-triage")
assert setup("other-name") is first, "setup must be idempotent"
assert trace.get_tracer_provider() is first.tracer_provider
with consume_span(first.tracer, "requests", 0, 5, b"c-5", "g", None, content_id="c-5"):
    pass
first.shutdown()
print("config", first.config.service_name, first.config.trace_exporters)
"""


def test_setup_reads_env_and_flushes_on_shutdown(tmp_path: Path) -> None:
    trace_file = tmp_path / ".run" / "traces.jsonl"
    env = {
        **os.environ,
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_METRICS_EXPORTER": "none",
        "MODERATION_TRACE_FILE": str(trace_file),
    }
    env.pop("OTEL_SERVICE_NAME", None)
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "config moderation-triage ('console',)" in done.stdout
    assert '"name": "process requests"' in done.stdout  # the console exporter's JSON
    (line,) = trace_file.read_text("utf-8").splitlines()
    record = json.loads(line)
    assert record["name"] == "process requests"
    assert record["kind"] == "CONSUMER"
    assert record["service"] == "moderation-triage"
    assert record["attributes"]["moderation.content_id"] == "c-5"
    assert record["end_ns"] >= record["start_ns"] > 0


def test_unsupported_exporter_fails_loudly() -> None:
    env = {**os.environ, "OTEL_TRACES_EXPORTER": "zipkin"}
    done = subprocess.run(
        [sys.executable, "-c", "from moderation.telemetry import setup; setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "TelemetryConfigError" in done.stderr
    assert "zipkin" in done.stderr
