"""``python -m loadtest scale``: CPU per item as workers are added, at the same load per worker.

Runs a scenario once per worker count (one consumer group, the same partitions), with the load
growing with the workers so each worker sees the same: ``steady`` (default) at
``--rate-per-worker`` for ``--seconds``, or ``backlog`` with ``--items-per-worker`` waiting in
the topic (every worker busy all along). If capacity is linear in workers, CPU per item stays
flat: the table prints each count's figure against the first one and the spread of all of them
(target: within 10%).

On shared cores the machine's load changes what a worker costs: a busier machine delays each
worker's event loop, so it wakes to more records at once and spends less CPU per item. Four
workers on two cores are measured on a busier machine than one. So that the table compares the
counts and not the machine, ``steady`` holds the machine's load the same for every count
(``--hold-machine-load``, the default): while N of the largest count M are measured, the other
M - N run beside them as a second, unmeasured group on its own topics, at the same rate per
worker, with its own simulated API. Its figures go in the result file, not the table.
``--no-hold-machine-load`` measures each count alone.

Duplicates are off by default: the verdict cache is per process, so with more workers fewer
repeats meet their original in the same worker, and the run would measure the cache instead of
the scaling. No baseline and no trace file (see ``python -m loadtest --help`` for both).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from loadtest.cli import env_setting, explained_failure
from loadtest.run import RunConfig, run
from loadtest.scenarios import Scenario
from loadtest.traffic import DEFAULT_MIX, Route, TrafficSpec
from moderation_dev.devkafka import local_kafka

SPREAD_TARGET = 0.10


def _counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use counts like 1,2,4") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: every count must be at least 1")
    return counts


def _stages(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(set(chosen) - {"triage", "review", "finalize", "appeal"})
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown stage {unknown[0]!r}: triage,review,finalize,appeal"
        )
    if "triage" not in chosen:
        raise argparse.ArgumentTypeError(f"{text!r}: every item enters through triage; include it")
    return chosen


def traffic_mix(stages: Sequence[str] | None) -> dict[Route, float]:
    """The default route mix; without the review stage every item is one Haiku clears: the
    other routes go through Sonnet (the human route too: both flag it) and would end there."""
    if stages is None or "review" in stages:
        return dict(DEFAULT_MIX)
    return {Route.ALLOW: 1.0}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loadtest scale", description=__doc__)
    parser.add_argument("--workers", type=_counts, default=(1, 2, 4), help="e.g. 1,2,4")
    parser.add_argument(
        "--scenario", choices=(Scenario.STEADY.value, Scenario.BACKLOG.value), default="steady"
    )
    parser.add_argument(
        "--items-per-worker", type=int, default=2000, help="backlog: items waiting per worker"
    )
    parser.add_argument(
        "--rate-per-worker", type=float, default=60.0, help="items/s each worker gets"
    )
    parser.add_argument("--seconds", type=float, default=40.0, help="how long each count runs")
    parser.add_argument("--partitions", type=int, default=4, help="partitions of every topic")
    parser.add_argument(
        "--stages",
        type=_stages,
        default=None,
        help="the stages each worker runs (MODERATION_STAGES), e.g. triage: one Deployment "
        "per stage, as the chart runs them; default every stage. Without review every item is one "
        "Haiku clears (the other routes would end at the review topic)",
    )
    parser.add_argument("--duplicates", type=float, default=0.0, help="share of exact repeats")
    parser.add_argument(
        "--env", type=env_setting, action="append", default=[], help="extra worker setting"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run every count this many times (order reversed each round, against drift) and "
        "compare the medians: on shared cores one count varies 10-15%% from run to run",
    )
    parser.add_argument(
        "--hold-machine-load",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="steady: run the workers a count lacks beside it as an unmeasured group, so "
        "every count is measured on an equally busy machine (see above)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(".run/loadtest"))
    return parser


def spread(figures: Sequence[float]) -> float:
    """How far the largest figure is above the smallest, as a share of the smallest."""
    return max(figures) / min(figures) - 1 if figures and min(figures) > 0 else 0.0


def combine(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per worker count, in the order first seen: the median CPU per item of its runs
    (and that run's other figures), every run's figure, and the items lost in all of them."""
    counts = list(dict.fromkeys(run["workers"] for run in runs))
    rows = []
    for workers in counts:
        mine = sorted(
            (run for run in runs if run["workers"] == workers), key=lambda r: r["cpu_ms_per_item"]
        )
        middle = dict(mine[(len(mine) - 1) // 2])
        middle["cpu_ms_per_item"] = statistics.median(r["cpu_ms_per_item"] for r in mine)
        middle["runs_ms"] = [r["cpu_ms_per_item"] for r in runs if r["workers"] == workers]
        middle["lost"] = sum(r["lost"] for r in mine)
        rows.append(middle)
    return rows


def table(rows: Sequence[dict[str, Any]]) -> str:
    first = rows[0]["cpu_ms_per_item"]
    repeated = any(len(row.get("runs_ms", ())) > 1 for row in rows)
    lines = [
        f"{'workers':>7}  {'items/s':>8}  {'CPU ms/item':>11}  {'vs first':>8}  "
        f"{'calls/item':>10}  {'lost':>4}  "
        + ("median of runs (ms)" if repeated else "CPU s per worker"),
    ]
    for row in rows:
        detail = (
            " / ".join(f"{ms:.2f}" for ms in row["runs_ms"])
            if repeated
            else " / ".join(f"{s:.1f}" for s in row["cpu_s_per_worker"])
        )
        lines.append(
            f"{row['workers']:>7}  {row['items_per_s']:>8.1f}  {row['cpu_ms_per_item']:>11.2f}  "
            f"{row['cpu_ms_per_item'] / first - 1:>+8.0%}  {row['calls_per_item']:>10.3f}  "
            f"{row['lost']:>4}  {detail}"
        )
    held = [row for row in rows if row.get("background")]
    if held:
        most = max(row["workers"] + row["background"]["workers"] for row in held)
        lines.append(
            f"\nthe machine's load held at {most} workers': the counts below {most} ran beside an"
            " unmeasured group of the rest (--no-hold-machine-load: each count alone)"
        )
    figure = spread([row["cpu_ms_per_item"] for row in rows])
    verdict = "flat" if figure <= SPREAD_TARGET else "NOT flat"
    lines.append(
        f"\nspread of CPU per item: {figure:.0%} ({verdict}; target within {SPREAD_TARGET:.0%})"
    )
    return "\n".join(lines)


def _row(workers: int, result: dict[str, Any]) -> dict[str, Any]:
    service = result["service"]
    return {
        "workers": workers,
        "items_per_s": service["throughput_items_per_s"],
        "cpu_ms_per_item": service["cpu_ms_per_item"],
        "cpu_s_per_worker": service["cpu_s_per_worker"],
        "calls_per_item": service["llm"]["llm_calls_per_item"],
        "lost": service["lost"],
        "run_id": result["run_id"],
    }


def plan(counts: Sequence[int], repeat: int) -> list[int]:
    """The worker counts in run order: every count once per round, every other round
    reversed, so a machine getting busier or quieter does not favour one count."""
    order: list[int] = []
    for round_ in range(max(1, repeat)):
        order += list(counts) if round_ % 2 == 0 else list(reversed(counts))
    return order


#: The unmeasured group starts this long before the measured one (its workers are up and busy
#: when the measured run starts) and sends for this much longer than it (it ends after it).
BACKGROUND_LEAD_S = 15.0
BACKGROUND_TAIL_S = 45.0


def background_config(config: RunConfig, workers: int, rate_per_worker: float) -> RunConfig:
    """The unmeasured group that holds the machine's load: ``workers`` more at the same rate
    per worker, on its own topics, sending from before the measured run to after it."""
    rate = rate_per_worker * workers
    seconds = config.traffic.items / config.rate + BACKGROUND_LEAD_S + BACKGROUND_TAIL_S
    traffic = replace(
        config.traffic, items=max(1, round(rate * seconds)), seed=config.traffic.seed + 1
    )
    return replace(config, workers=workers, rate=rate, traffic=traffic)


async def _with_background(config: RunConfig, background: RunConfig | None) -> dict[str, Any]:
    """Run ``config``, with ``background`` running beside it if given; the background's
    figures go under ``background`` in the result."""
    if background is None:
        return await run(config)
    beside = asyncio.create_task(run(background))
    try:
        await asyncio.sleep(BACKGROUND_LEAD_S)
        result = await run(config)
    finally:
        other = await beside
    result["background"] = {
        "workers": background.workers,
        "rate": background.rate,
        "cpu_ms_per_item": other["service"]["cpu_ms_per_item"],
        "lost": other["service"]["lost"],
        "run_id": other["run_id"],
    }
    return result


async def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    with local_kafka(args.out / "kafka") as bootstrap:  # one broker for the measured and the rest
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        return await _measure(args)


async def _measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    order = plan(args.workers, args.repeat)
    most = max(args.workers)
    for number, workers in enumerate(order, 1):
        scenario = Scenario(args.scenario)
        rate = args.rate_per_worker * workers
        if scenario is Scenario.BACKLOG:
            items, load = args.items_per_worker * workers, "a backlog"
        else:
            items, load = max(1, round(rate * args.seconds)), f"{rate:g} items/s"
        others = most - workers if args.hold_machine_load and scenario is Scenario.STEADY else 0
        beside = f"; {others} more beside it, unmeasured" if others else ""
        print(
            f"[{number}/{len(order)}] {workers} worker(s), {load}, {items} items{beside}",
            file=sys.stderr,
            flush=True,
        )
        config = RunConfig(
            scenario=scenario,
            traffic=TrafficSpec(
                items=items,
                mix=traffic_mix(args.stages),
                duplicate_share=args.duplicates,
                seed=args.seed,
            ),
            rate=rate,
            latency_ms=0.0,
            partitions=args.partitions,
            workers=workers,
            baseline=False,
            trace=False,
            worker_env=dict(args.env)
            | ({"MODERATION_STAGES": ",".join(args.stages)} if args.stages else {}),
            workdir=args.out,
        )
        background = background_config(config, others, args.rate_per_worker) if others else None
        result = await _with_background(config, background)
        rows.append(_row(workers, result) | {"background": result.get("background")})
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if max(args.workers) > args.partitions:
        print(
            f"error: --workers {max(args.workers)} is more than --partitions {args.partitions};"
            " workers beyond the partition count sit idle",
            file=sys.stderr,
        )
        return 2
    try:
        runs = asyncio.run(measure(args))
    except Exception as error:
        return explained_failure(error)
    rows = combine(runs)
    path = args.out / f"scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {"arguments": vars(args) | {"out": str(args.out)}, "rows": rows, "runs": runs},
            indent=2,
        )
    )
    print(table(rows))
    print(f"\nresult: {path}")
    return 0 if all(row["lost"] == 0 for row in rows) else 1
