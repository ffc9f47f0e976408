"""The load test's printed table: every section says something, even when not measured."""

from __future__ import annotations

from typing import Any

from loadtest.report import table


def _result(hops: dict[str, Any]) -> dict[str, Any]:
    p = {"p50": 1.0, "p95": 2.0, "p99": 3.0, "count": 10}
    return {
        "run_id": "r1",
        "scenario": "backlog",
        "config": {"items": 10, "rate": 100, "model_latency_ms": 0, "batch": False},
        "service": {
            "throughput_items_per_s": 50,
            "cpu_ms_per_item": 3.0,
            "completed": 10,
            "lost": 0,
            "duplicate_outputs": 0,
            "latency_ms": {"allow": p},
            "hop_overhead_ms": hops,
            "llm": {
                "llm_calls_per_item": 1,
                "input_tokens_per_item": 100,
                "cache_read_tokens_per_item": 6000,
                "cache_write_tokens_per_item": 0,
                "output_tokens_per_item": 44,
            },
            "prompt_cache": {"hit_ratio": 0.99, "batch_requests": 0},
            "verdict_cache_hit_ratio": 0.2,
            "cost": {"per_1000_usd": 1.0, "naive_per_1000_usd": 10.0, "ratio_to_naive": 0.1},
        },
    }


def test_no_trace_says_the_overhead_was_not_measured() -> None:
    printed = table(_result({}))
    section = printed.split("service overhead per hop")[1].split("\n\n")[0]
    assert "not measured: the run had no trace file (--no-trace)" in section


def test_with_traces_the_hops_are_listed() -> None:
    printed = table(_result({"triage": {"p50": 1.8, "p95": 5.0, "p99": 20.7, "count": 9}}))
    assert "1.8 / 5.0 / 20.7  (n=9)" in printed
    assert "not measured" not in printed
