"""The JSON-lines trace file (several writer processes) and the ``moderation trace`` command."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from moderation.pricing import TokenUsage
from moderation.telemetry import TelemetryConfig
from moderation.telemetry.cli import register
from moderation.telemetry.genai import llm_span
from moderation.telemetry.kafka import consume_span, produce_span
from moderation.telemetry.runtime import build

FIXTURE = Path(__file__).parent / "fixtures" / "tel_trace.jsonl"

_WRITER = """
import sys
from moderation.telemetry import setup_for_tests
from moderation.telemetry.jsonl import JsonlSpanExporter
tel = setup_for_tests(JsonlSpanExporter(sys.argv[1]), service_name="writer-" + sys.argv[2])
padding = "x" * 6000  # long lines make interleaving visible if writes were not whole lines
for n in range(40):
    with tel.tracer.start_as_current_span("span", attributes={"n": n, "pad": padding}):
        pass
tel.shutdown()
"""


def _trace(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="moderation")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    status: int = args.handler(args)
    return status


def test_processes_append_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "run" / "traces.jsonl"
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(i)]) for i in range(3)
    ]
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0, 0]
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert len(records) == 120
    by_writer = {
        service: sorted(r["attributes"]["n"] for r in records if r["service"] == service)
        for service in ("writer-0", "writer-1", "writer-2")
    }
    assert all(numbers == list(range(40)) for numbers in by_writer.values())


def test_configured_trace_file_feeds_the_waterfall(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "traces.jsonl"
    telemetry = build(TelemetryConfig(trace_exporters=(), metric_exporters=(), trace_file=path))
    try:
        with consume_span(
            telemetry.tracer, "requests", 0, 3, b"c-9", "triage", None, content_id="c-9"
        ):
            with llm_span(telemetry.tracer, "claude-haiku-4-5", stage="triage") as call:
                call.record_response("claude-haiku-4-5", "msg_1", "end_turn", TokenUsage(1_000, 10))
            with produce_span(telemetry.tracer, "decisions", b"c-9") as sent:
                sent.delivered(1, 8)
        assert telemetry.force_flush()
    finally:
        telemetry.shutdown()
    assert _trace(["trace", "c-9", "--file", str(path)]) == 0
    out = capsys.readouterr().out
    # 1,000 x $1/M + 10 x $5/M = 0.00105
    assert "claude-haiku-4-5  1,000 in / 10 out  $0.001050" in out
    assert "  send decisions" in out
    assert "partition 1 offset 8" in out
    assert out.splitlines()[-1].startswith("total: ")
    assert out.splitlines()[-1].endswith("1 LLM call, 1,000 in / 10 out tokens, $0.001050")


def test_fixture_waterfall(capsys: pytest.CaptureFixture[str]) -> None:
    assert _trace(["trace", "post-42", "--file", str(FIXTURE), "--width", "29"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "trace 5b8aa5a2d2c872e8321cf37308d69df2  content_id=post-42  8 spans"
    rows = {line.split("|")[0].rstrip(): line for line in lines[2:-1]}
    assert list(rows)[:4] == [
        "process moderation.requests.v1",
        "  chat claude-haiku-4-5",
        "  send moderation.review.sonnet.v1",
        "    process moderation.review.sonnet.v1",
    ]
    # 900-2,900 ms of a 2,900 ms trace on 29 columns: 9 off, 20 on.
    assert "|" + "·" * 9 + "█" * 20 + "|" in rows["    process moderation.review.sonnet.v1"]
    failed = next(line for line in lines if "RateLimitError" in line)
    assert "490.0 ms" in failed
    assert "$" not in failed
    assert lines[-1] == (
        "total: 2,900.0 ms end to end, 3 LLM calls, 10,700 in / 520 out tokens, $0.025250"
    )


def test_clear_messages_for_missing_file_and_item(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _trace(["trace", "post-42", "--file", str(tmp_path / "none.jsonl")]) == 2
    assert "trace file" in capsys.readouterr().err
    assert _trace(["trace", "post-999", "--file", str(FIXTURE)]) == 1
    assert "no spans for content_id 'post-999'" in capsys.readouterr().err


def test_help_explains_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _trace(["trace", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for needle in ("CONTENT_ID", "--file PATH", "MODERATION_TRACE_FILE", "waterfall", "cost"):
        assert needle in text, needle
