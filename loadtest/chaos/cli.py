"""``python -m loadtest chaos --runs N``: crash a worker (and every few runs the broker) per run.

Starts its own broker on free loopback ports (KAFKA_BOOTSTRAP_SERVERS is ignored: the soak
restarts the broker) and the simulated API, then runs the runs one after the other. Prints a
progress line while running (stderr), one line per finished run and the table at the end
(stdout), writes every figure to <out>/chaos-<id>.json, and exits 1 when any run lost or
stalled an item. See loadtest/README.md ("Chaos soak").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loadtest import processes
from loadtest.chaos.cluster import OwnBroker, uninterruptible
from loadtest.chaos.partitioner import PARTITIONERS
from loadtest.chaos.report import failed, header, row, table
from loadtest.chaos.run import ChaosConfig, one_run
from loadtest.cli import env_setting
from loadtest.traffic import parse_mix
from moderation.progress import ProgressLine


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    defaults = ChaosConfig()
    parser = argparse.ArgumentParser(
        prog="python -m loadtest chaos",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=_positive_int, default=defaults.runs, help="runs to do")
    parser.add_argument(
        "--items", type=_positive_int, default=defaults.items, help="items per run (+-15%%)"
    )
    parser.add_argument("--rate", type=float, default=defaults.rate, help="items sent per second")
    parser.add_argument("--partitions", type=_positive_int, default=defaults.partitions)
    parser.add_argument(
        "--workers", type=int, default=defaults.workers, help="workers in the group (>= 2)"
    )
    parser.add_argument(
        "--broker-every",
        type=int,
        default=defaults.broker_every,
        help="also restart the broker on every Nth run (0 = never)",
    )
    parser.add_argument(
        "--latency",
        choices=["realistic", "default", "instant"],
        default="realistic",
        help="simulated model latency profile (realistic: Haiku ~0.6 s, Sonnet ~1.5 s)",
    )
    parser.add_argument(
        "--mix",
        default=",".join(f"{k.value}={v}" for k, v in defaults.mix.items()),
        help="route shares: allow, review_clear, human",
    )
    parser.add_argument(
        "--duplicates", type=float, default=defaults.duplicates, help="share of exact repeats"
    )
    parser.add_argument(
        "--stall-after",
        type=float,
        default=defaults.stall_after_s,
        help="seconds after the faults (or an item's send) before a non-terminal item is stalled",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=defaults.grace_s,
        help="after a stall: seconds fresh workers get before a stalled item counts as lost",
    )
    parser.add_argument(
        "--partitioner",
        choices=sorted(PARTITIONERS),
        default=defaults.partitioner,
        help="how the reviewer picks the partition of its answer (crc32: librdkafka's default)",
    )
    parser.add_argument(
        "--env",
        type=env_setting,
        action="append",
        default=[],
        help="extra worker setting (repeatable)",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--out", type=Path, default=Path(".run/chaos"))
    return parser


def config_from(args: argparse.Namespace, parser: argparse.ArgumentParser) -> ChaosConfig:
    if args.workers < 2:
        parser.error("--workers: at least 2 (one is killed while the other keeps the group)")
    if args.rate <= 0:
        parser.error("--rate: must be positive")
    if args.broker_every < 0:
        parser.error("--broker-every: 0 (never) or more")
    try:
        mix = parse_mix(args.mix)
    except ValueError as error:
        parser.error(f"--mix: {error}")
    return ChaosConfig(
        runs=args.runs,
        items=args.items,
        rate=args.rate,
        partitions=args.partitions,
        workers=args.workers,
        broker_every=args.broker_every,
        mix=mix,
        duplicates=args.duplicates,
        stall_after_s=args.stall_after,
        grace_s=args.grace,
        worker_env=dict(args.env),
        seed=args.seed,
        partitioner=args.partitioner,
    )


async def soak(config: ChaosConfig, latency: str, workdir: Path) -> list[dict[str, Any]]:
    # SIGTERM (a CI timeout, kill <pid>) cancels the soak like Ctrl-C does, so every broker,
    # worker and simulator it started is stopped on the way out.
    main = asyncio.current_task()
    if main is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main.cancel)
    progress = ProgressLine(sys.stderr)
    began = time.monotonic()
    results: list[dict[str, Any]] = []
    broker = OwnBroker(workdir / "kafka")
    progress.show("starting the broker and the simulated API", 0.0)
    try:
        await uninterruptible(broker.start)
        with processes.sim_api(0, 1.0, workdir, profile=latency) as sim:
            print(header(), flush=True)
            for number in range(1, config.runs + 1):
                result = await one_run(
                    number,
                    config,
                    broker,
                    sim.base_url,
                    workdir,
                    lambda text: progress.show(text, time.monotonic() - began),
                )
                progress.finish(f"run {number}/{config.runs} done")
                results.append(result)
                print(row(result), flush=True)
    finally:
        await uninterruptible(broker.stop)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    config = config_from(args, parser)
    # The soak's own clients reconnect through broker restarts on purpose; their warnings
    # would only bury the progress line. The workers' logs are in each run's folder.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    run_id = time.strftime("%Y%m%d-%H%M%S")
    workdir = args.out / run_id
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        results = asyncio.run(soak(config, args.latency, workdir))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\ninterrupted: everything the soak started is stopped", file=sys.stderr)
        return 130
    document = {
        "run_id": run_id,
        "config": {**vars(args), "out": str(args.out), "mix": dict(config.mix)},
        "runs": results,
    }
    result_file = args.out / f"chaos-{run_id}.json"
    result_file.write_text(json.dumps(document, indent=2))
    print()
    print(table(results))
    print(f"\nresult: {result_file}")
    return 1 if any(failed(r) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
