"""The load-test command end to end on a few hundred items: every field present, nothing lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # loadtest/ is run from the repository root
SERVICE_FIELDS = {
    "items",
    "completed",
    "lost",
    "duplicate_outputs",
    "throughput_items_per_s",
    "latency_ms",
    "hop_overhead_ms",
    "llm",
    "prompt_cache",
    "verdict_cache_hits",
    "verdict_cache_hit_ratio",
    "cost",
    "timeline",
    "worker_footprint",
}


def test_backlog_scenario_prints_the_table_and_writes_the_result(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}
    argv = [sys.executable, "-m", "loadtest", "backlog", "--items", "300", "--partitions", "2"]
    argv += ["--out", str(tmp_path), "--timeout", "60"]
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=110, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "service / baseline" in done.stdout
    assert "ratio to naive" in done.stdout
    assert "worker CPU / baseline CPU per item" in done.stdout
    assert "verdict cache entries / RSS MiB" in done.stdout
    (result_file,) = tmp_path.glob("backlog-*.json")
    assert result_file.with_suffix(".png").stat().st_size > 1000
    result = json.loads(result_file.read_text())
    service, baseline = result["service"], result["baseline"]
    assert service.keys() >= SERVICE_FIELDS
    assert (service["items"], service["completed"], service["lost"]) == (300, 300, 0)
    assert (baseline["completed"], baseline["lost"]) == (300, 0)
    assert result["baseline_ratio"] > 0
    assert result["cpu_ratio"] > 0
    (worker_cpu,) = service["cpu_s_per_worker"]
    assert worker_cpu > 0
    assert {"allow", "review_clear", "human", "all"} <= service["latency_ms"].keys()
    assert {"triage", "review"} <= service["hop_overhead_ms"].keys()
    assert service["prompt_cache"]["hit_ratio"] > 0.5, "the cached prefix is read"
    assert service["verdict_cache_hits"] > 0, "exact duplicates are answered from the cache"
    footprint = service["worker_footprint"]
    assert 0 < footprint["last"]["cache_entries"] <= 300, "the worker reports its cache size"
    assert footprint["last"]["rss_mib"] > 20
    cost = service["cost"]
    assert 0 < cost["per_1000_usd"] < cost["naive_per_1000_usd"]
    assert sum(point["completed"] for point in service["timeline"]) == 300


def test_two_workers_finalize_every_answer_a_crc32_reviewer_gives(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Issue 22 in the load test: answers land on librdkafka's partition, none is refused."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}
    argv = [sys.executable, "-m", "loadtest", "backlog", "--items", "200", "--partitions", "4"]
    argv += ["--workers", "2", "--reviewer", "--no-baseline", "--no-trace"]
    argv += ["--out", str(tmp_path), "--timeout", "90"]
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=150, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "answered / finalized / no_open_task" in done.stdout
    (result_file,) = tmp_path.glob("backlog-*.json")
    service = json.loads(result_file.read_text())["service"]
    assert (service["completed"], service["lost"]) == (200, 0)
    human = service["human_review"]
    assert human["answered"] > 0, "the traffic mix sends some items to humans"
    assert human["finalized"] == human["answered"]
    assert human["no_open_task"] == 0
