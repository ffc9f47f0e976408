"""The demo's orchestration end to end: real broker, simulated API and worker as child processes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from moderation.telemetry.records import read_records
from moderation_dev.demo.corpus import load_corpus, subset
from moderation_dev.demo.orchestration import DemoConfig, run_demo
from moderation_dev.demo.processes import simulated_api
from moderation_dev.demo.routes import GUARANTEED, DemoRoute
from moderation_dev.demo.summary import render, summarize

pytestmark = pytest.mark.integration


async def test_a_small_demo_run_loses_nothing_and_takes_every_route(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    items = subset(load_corpus(), 40)
    out = io.StringIO()
    with simulated_api(tmp_path, "instant") as base_url:
        run = await run_demo(
            DemoConfig(
                bootstrap=kafka_bootstrap,
                items=items,
                run_dir=tmp_path,
                data_dir=tmp_path / "worker-data",
                anthropic_base_url=base_url,
                timeout_s=60,
            ),
            out,
        )
    summary = summarize(run.ledger, run.elapsed_s)
    report = render(summary)
    assert not run.timed_out, report
    assert summary.unfinished == [], report
    assert set(GUARANTEED) <= set(summary.routes), report
    assert summary.mismatches == [], report
    assert summary.strays == 0
    assert run.unreadable_outputs == 0
    assert run.worker_exit == 0, run.worker_log.read_text()[-2000:]
    assert summary.total.calls > len(items) // 2
    assert summary.total.cost_usd > 0

    human = next(
        t.content_id
        for t in run.ledger.trails.values()
        if t.final is not None and str(t.final.decided_by) == "human"
    )
    spans = [
        record
        for record in read_records(run.trace_file)
        if record["attributes"].get("messaging.kafka.message.key") == human
    ]
    assert {record["name"].split()[0] for record in spans} >= {"process", "send"}
    assert DemoRoute.UNKNOWN not in summary.routes
