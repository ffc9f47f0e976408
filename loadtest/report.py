"""The printed table and the PNG chart of a result document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TARGETS = {
    "baseline_ratio_min": 0.85,
    "cpu_ratio_max": 1.2,
    "sustained_items_per_s_at_400ms": 300,
    "hop_overhead_p99_ms_max": 50,
    "cost_ratio_to_naive_max": 0.25,
}


def _row(label: str, value: object) -> str:
    return f"  {label:<44} {value}"


def table(result: dict[str, Any]) -> str:
    """A plain-text summary: throughput and baseline ratio, latency, overhead, LLM use, cost."""
    service = result["service"]
    config = result["config"]
    lines = [
        f"load test {result['run_id']}: scenario {result['scenario']}, {config['items']} items, "
        f"rate {config['rate']}/s, model latency {config['model_latency_ms']} ms, "
        f"batch {'on' if config['batch'] else 'off'}, workers {config.get('workers', 1)}",
        "",
        "throughput and loss",
        _row("service items/s", service["throughput_items_per_s"]),
    ]
    baseline = result.get("baseline")
    same = result.get("baseline_same_transport")
    if baseline:
        lines.append(
            _row("baseline items/s (aiokafka + SDK loop)", baseline["throughput_items_per_s"])
        )
        if same:
            lines.append(
                _row(f"  same loop on {same['transport']}", same["throughput_items_per_s"])
            )
        lines.append(
            _row(
                "service / baseline",
                f"{result['baseline_ratio']} (target >= {TARGETS['baseline_ratio_min']})",
            )
        )
    cpu = f"{service.get('cpu_ms_per_item')}"
    if baseline:
        cpu += f" (baseline {baseline.get('cpu_ms_per_item')}"
        if same:
            cpu += f"; on {same['transport']} {same.get('cpu_ms_per_item')}"
        cpu += ")"
    transport = service.get("transport")
    lines.append(_row(f"worker CPU ms per item{f' ({transport})' if transport else ''}", cpu))
    if result.get("cpu_ratio") is not None:
        lines.append(
            _row(
                "worker CPU / baseline CPU per item",
                f"{result['cpu_ratio']} (target <= {TARGETS['cpu_ratio_max']})",
            )
        )
    if result.get("cpu_ratio_same_transport") is not None and same:
        lines.append(
            _row(
                f"  against the loop on {same['transport']} too",
                f"{result['cpu_ratio_same_transport']} (the framework's own cost)",
            )
        )
    lines += _worker_rows(service)
    lines.append(
        _row(
            "completed / lost / duplicate outputs",
            f"{service['completed']} / {service['lost']} / {service['duplicate_outputs']}",
        )
    )
    human = service.get("human_review")
    if human:
        lines.append(
            _row(
                "human answers (CRC32 partition): answered / finalized / no_open_task",
                f"{human['answered']} / {human['finalized']} / {human['no_open_task']}",
            )
        )
    lines += ["", "end-to-end latency ms (p50 / p95 / p99, count)"]
    for route, p in sorted(service["latency_ms"].items()):
        lines.append(_row(route, f"{p['p50']} / {p['p95']} / {p['p99']}  (n={p['count']})"))
    if baseline:
        p = baseline["latency_ms"]["all"]
        lines.append(_row("baseline (triage only)", f"{p['p50']} / {p['p95']} / {p['p99']}"))
    hops = service.get("hop_overhead_ms", {})
    lines += ["", "service overhead per hop, ms excluding model time (p50 / p95 / p99)"]
    if not hops:
        lines.append("  not measured: the run had no trace file (--no-trace)")
    for hop, p in hops.items():
        lines.append(_row(hop, f"{p['p50']} / {p['p95']} / {p['p99']}  (n={p['count']})"))
    llm, prompt = service["llm"], service["prompt_cache"]
    lines += [
        "",
        "LLM use per item",
        _row("calls", llm["llm_calls_per_item"]),
        _row(
            "tokens in / cache read / cache write / out",
            f"{llm['input_tokens_per_item']} / {llm['cache_read_tokens_per_item']} / "
            f"{llm['cache_write_tokens_per_item']} / {llm['output_tokens_per_item']}",
        ),
        _row("prompt cache hit ratio (calls)", prompt["hit_ratio"]),
        _row("verdict cache hit ratio (items)", service["verdict_cache_hit_ratio"]),
        _row("batch requests", prompt["batch_requests"]),
    ]
    footprint = service.get("worker_footprint") or {}
    if footprint:
        lines += ["", "worker footprint (all workers): verdict cache entries / RSS MiB"]
        for name in ("first", "quarter", "middle", "three quarters", "last"):
            point = footprint.get(name)
            if point is None:  # a result written before the quarter samples were kept
                continue
            entries = "n/a" if point["cache_entries"] is None else point["cache_entries"]
            lines.append(_row(f"{name} (t={point['second']}s)", f"{entries} / {point['rss_mib']}"))
        lines.append(
            _row("peak", f"{footprint['peak_cache_entries']} / {footprint['peak_rss_mib']}")
        )
        middle, last = footprint["middle"], footprint["last"]
        grown = last["rss_mib"] - middle["rss_mib"]
        cached = (last["cache_entries"] or 0) - (middle["cache_entries"] or 0)
        lines.append(
            _row(
                "second half: RSS / cache entries",
                f"{grown:+.1f} MiB ({grown / max(middle['rss_mib'], 0.1):+.1%}) / {cached:+d}",
            )
        )
    cost = service["cost"]
    lines += [
        "",
        "cost per 1,000 items (USD)",
        _row("this run", cost["per_1000_usd"]),
        _row("naive (no caching, no dedupe, no batch)", cost["naive_per_1000_usd"]),
        _row(
            "ratio to naive",
            f"{cost['ratio_to_naive']} (target <= {TARGETS['cost_ratio_to_naive_max']})",
        ),
    ]
    if baseline:
        lines.append(_row("baseline loop (caching, no dedupe)", baseline["cost"]["per_1000_usd"]))
    return "\n".join(lines)


def _worker_rows(service: dict[str, Any]) -> list[str]:
    """CPU seconds of each worker over the run (the work should spread evenly)."""
    per_worker = service.get("cpu_s_per_worker") or []
    if not per_worker:
        return []
    return [_row("CPU s per worker", " / ".join(f"{s:.1f}" for s in per_worker))]


def chart(result: dict[str, Any], path: Path) -> Path:
    """Throughput and latency over time for the service (and the baseline, dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for name, style in (("service", "-"), ("baseline", "--")):
        part = result.get(name)
        if not part:
            continue
        points = part["timeline"]
        seconds = [p["second"] for p in points]
        top.plot(seconds, [p["completed"] for p in points], style, label=f"{name} items/s")
        bottom.plot(seconds, [p["p50_ms"] for p in points], style, label=f"{name} p50")
        bottom.plot(seconds, [p["p95_ms"] for p in points], style, alpha=0.6, label=f"{name} p95")
    top.set_ylabel("completed items / s")
    top.legend(loc="upper right")
    bottom.set_ylabel("end-to-end latency (ms)")
    bottom.set_xlabel("seconds since the first request")
    bottom.legend(loc="upper right")
    top.set_title(
        f"{result['scenario']}: {result['config']['items']} items, "
        f"model latency {result['config']['model_latency_ms']} ms"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
