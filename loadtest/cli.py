"""``python -m loadtest``: run a scenario against the service and the baseline, print the table.

Writes ``<out>/<scenario>-<run id>.json`` (every figure) and ``.png`` (throughput and latency over
time) and prints the table. ``python -m loadtest chaos --help``: the crash soak;
``python -m loadtest scale --help``: CPU per item as workers are added (each has its own options).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from loadtest.processes import ChildFailed
from loadtest.report import chart, table
from loadtest.run import RunConfig, run
from loadtest.scenarios import Scenario
from loadtest.traffic import DEFAULT_MIX, TrafficSpec, parse_mix
from moderation.cli_errors import explain


def env_setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.startswith("MODERATION_"):
        raise argparse.ArgumentTypeError("use MODERATION_NAME=value")
    return name, value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _mix(text: str) -> str:
    try:
        parse_mix(text)
    except ValueError as error:
        allowed = ", ".join(route.value for route in DEFAULT_MIX)
        raise argparse.ArgumentTypeError(
            f"{text!r}: {error}; use ROUTE=SHARE[,ROUTE=SHARE] with routes {allowed}"
        ) from None
    return text


def explained_failure(error: Exception) -> int:
    """Print a failed run's one line (a child's error, or the CLI's explanation) and return the
    exit status; re-raise what has no explanation."""
    if isinstance(error, ChildFailed):
        line = str(error)
        print(line if line.startswith("error:") else f"error: {line}", file=sys.stderr)
        return 2 if error.code == 2 else 1
    explained = explain(error)
    if explained is None:
        raise error
    print(explained.line, file=sys.stderr)
    return explained.status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__)
    parser.add_argument("scenario", choices=[s.value for s in Scenario])
    parser.add_argument("--items", type=_positive, default=3000, help="items to send")
    parser.add_argument("--rate", type=float, default=200.0, help="items/s (burst: base rate)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="simulated model latency")
    parser.add_argument(
        "--mix",
        type=_mix,
        default=",".join(f"{k.value}={v}" for k, v in DEFAULT_MIX.items()),
        help="route shares: allow, review_clear, human",
    )
    parser.add_argument("--duplicates", type=float, default=0.2, help="share of exact duplicates")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--workers", type=_positive, default=1, help="worker processes (one group)")
    parser.add_argument("--window", type=int, default=256, help="triage calls in flight")
    parser.add_argument(
        "--batch", action="store_true", help="triage and review through Message Batches"
    )
    parser.add_argument("--batch-delay", type=float, default=1.0, help="simulated batch time, s")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline loop")
    parser.add_argument(
        "--one-baseline",
        action="store_true",
        help="run the baseline on the SDK's default client only, not also on the worker's "
        "HTTP transport",
    )
    parser.add_argument("--no-trace", action="store_true", help="no trace file (no hop overhead)")
    parser.add_argument(
        "--reviewer",
        action="store_true",
        help="answer every human-review task on the partition librdkafka's default (CRC32) "
        "partitioner picks, wait for the human final decisions, report no_open_task",
    )
    parser.add_argument(
        "--env",
        type=env_setting,
        action="append",
        default=[],
        help="extra worker setting (repeatable)",
    )
    parser.add_argument("--timeout", type=float, default=150.0, help="give up on items after")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(".run/loadtest"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["chaos"]:
        from loadtest.chaos.cli import main as chaos

        return chaos(argv[1:])
    if argv[:1] == ["scale"]:
        from loadtest.scale import main as scale

        return scale(argv[1:])
    args = build_parser().parse_args(argv)
    traffic = TrafficSpec(
        items=args.items, mix=parse_mix(args.mix), duplicate_share=args.duplicates, seed=args.seed
    )
    config = RunConfig(
        scenario=Scenario(args.scenario),
        traffic=traffic,
        rate=args.rate,
        latency_ms=args.latency_ms,
        partitions=args.partitions,
        window=args.window,
        workers=args.workers,
        baseline=not args.no_baseline,
        same_transport_baseline=not args.one_baseline,
        trace=not args.no_trace,
        batch=args.batch,
        batch_delay_s=args.batch_delay,
        worker_env=dict(args.env),
        reviewer=args.reviewer,
        timeout_s=args.timeout,
        workdir=args.out,
    )
    try:
        result = asyncio.run(run(config))
    except Exception as error:
        return explained_failure(error)
    stem = args.out / f"{args.scenario}-{result['run_id']}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2))
    chart(result, stem.with_suffix(".png"))
    print(table(result))
    print(f"\nresult: {stem.with_suffix('.json')}\nchart:  {stem.with_suffix('.png')}")
    return 0 if result["service"]["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
