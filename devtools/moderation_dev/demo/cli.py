"""``moderation demo``: run the whole pipeline locally on the sample corpus and summarise it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import TextIO

from moderation_contracts import DecisionStatus
from moderation_dev.demo.corpus import load_corpus, subset
from moderation_dev.demo.ledger import classify, only_fallbacks
from moderation_dev.demo.orchestration import DemoConfig, DemoRun, remove_demo_topics, run_demo
from moderation_dev.demo.processes import DemoError, simulated_api, uses_real_api
from moderation_dev.demo.routes import DemoRoute
from moderation_dev.demo.summary import render, summarize


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo",
        help="run the pipeline end to end on the bundled sample corpus and print a summary",
        description=(
            "Start a throwaway Kafka broker (or use KAFKA_BOOTSTRAP_SERVERS), the simulated "
            "Anthropic API (or the real one when ANTHROPIC_API_KEY is set and ANTHROPIC_BASE_URL "
            "is not) and a worker with all stages; publish the sample corpus, answer every "
            "human-review task as a scripted reviewer, wait for every item's final decision or "
            "dead letter, then print routes, latency, tokens, cost and one trace waterfall. "
            "Everything started is stopped again, also on Ctrl-C."
        ),
    )
    demo.add_argument("--limit", type=int, metavar="N", help="publish N items (scripted kept)")
    demo.add_argument(
        "--profile",
        choices=("default", "instant", "realistic"),
        default="default",
        help="latency profile of the simulated API (default: default)",
    )
    demo.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="S",
        help="seconds to wait for every terminal outcome after publishing (default 120)",
    )
    demo.add_argument(
        "--run-dir",
        type=Path,
        default=Path(".run"),
        metavar="DIR",
        help="where logs and the trace file go (default .run)",
    )
    demo.add_argument(
        "--keep-topics",
        action="store_true",
        help="on an existing cluster (KAFKA_BOOTSTRAP_SERVERS), keep this run's *.demo-<id> "
        "topics instead of deleting them at the end",
    )
    demo.set_defaults(handler=run)


def _interrupt_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def pick_waterfall_item(run: DemoRun) -> str | None:
    """An item that went all the way to a human, preferring one the reviewer removed."""
    humans = [t for t in run.ledger.trails.values() if classify(t) is DemoRoute.HUMAN]
    humans.sort(key=lambda t: t.final is None or t.final.status is not DecisionStatus.REMOVED)
    return humans[0].content_id if humans else None


def show_waterfall(run: DemoRun, out: TextIO) -> None:
    from moderation.telemetry.records import read_records
    from moderation.telemetry.waterfall import render as render_waterfall
    from moderation.telemetry.waterfall import traces_for

    content_id = pick_waterfall_item(run)
    if content_id is None:
        out.write("no item reached a human reviewer, so there is no waterfall to show\n")
        return
    out.write(f"\n$ .venv/bin/moderation trace {content_id} --file {run.trace_file}\n")
    if not run.trace_file.is_file():
        out.write(f"(no trace file at {run.trace_file}; see {run.worker_log})\n")
        return
    views = traces_for(read_records(run.trace_file), content_id)
    if not views:
        out.write(f"(no spans for {content_id} in {run.trace_file})\n")
        return
    out.write(render_waterfall(views, content_id, width=40))


def report(run: DemoRun, out: TextIO) -> int:
    """Print the summary and the waterfall; the exit status (1 when an item did not finish)."""
    summary = summarize(run.ledger, run.elapsed_s)
    out.write("\n" + render(summary))
    if run.unreadable_outputs:
        out.write(f"  warning: {run.unreadable_outputs} output messages broke their contract\n")
    if run.worker_exit:
        out.write(
            f"  note: the worker exited with status {run.worker_exit}"
            + (
                " (killed: it did not stop within the SIGTERM grace period)"
                if run.worker_exit < 0
                else ""
            )
            + "\n"
        )
    show_waterfall(run, out)
    fallbacks = only_fallbacks(run.ledger)
    if fallbacks:
        out.write(
            f"\nFAILED: no item was judged by a model: all {fallbacks} decisions came from the "
            "policy's fail mode (tier unavailable). Is the model API reachable and the key "
            f"accepted? Check ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY; worker log: "
            f"{run.worker_log}\n"
        )
        return 1
    if run.timed_out or summary.unfinished:
        shown = run.ledger.missing()[:20]
        out.write(
            f"\nFAILED: after waiting {run.timeout_s:.0f}s (--timeout), "
            f"{len(summary.unfinished)} items are not finished: no final decision or dead "
            f"letter yet; they are still in Kafka, not lost (showing {len(shown)}):\n"
        )
        for trail in shown:
            out.write(f"  {trail.content_id} ({trail.kind}): {trail.stage()}\n")
        out.write(f"worker log: {run.worker_log}\n")
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    """Handler of ``moderation demo``."""
    from moderation.worker.settings_check import load_settings
    from moderation_dev.devkafka import local_kafka

    load_settings()  # a bad MODERATION_* variable stops the demo before it starts anything
    out = sys.stdout
    items = load_corpus()
    if args.limit is not None:
        items = subset(items, args.limit)
    real = uses_real_api(os.environ)
    args.run_dir.mkdir(parents=True, exist_ok=True)
    # Client-library chatter (leader elections on fresh topics, retries) goes to a file, not
    # over the progress line.
    logging.basicConfig(
        filename=args.run_dir / "demo.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    if real:
        out.write("API: the real Anthropic API (ANTHROPIC_API_KEY is set, no ANTHROPIC_BASE_URL)\n")
    else:
        out.write(f"API: the simulated Anthropic API (profile {args.profile})\n")
    previous = signal.signal(signal.SIGTERM, _interrupt_on_sigterm)
    try:
        with contextlib.ExitStack() as stack:
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="demo-")))
            if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
                out.write("Kafka: KAFKA_BOOTSTRAP_SERVERS\n")
            else:
                out.write("Kafka: starting a throwaway local broker\n")
            out.flush()
            bootstrap = stack.enter_context(local_kafka(scratch / "kafka"))
            base_url = (
                None if real else stack.enter_context(simulated_api(args.run_dir, args.profile))
            )
            out.write(f"Kafka at {bootstrap}; {len(items)} items to publish\n")
            out.flush()
            config = DemoConfig(
                bootstrap=bootstrap,
                items=items,
                run_dir=args.run_dir,
                data_dir=scratch / "worker-data",
                anthropic_base_url=base_url,
                timeout_s=args.timeout,
            )
            try:
                result = asyncio.run(run_demo(config, out))
            finally:
                if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and not args.keep_topics:
                    removed = asyncio.run(remove_demo_topics(bootstrap, config.suffix))
                    out.write(
                        f"deleted this run's {len(removed)} topics (--keep-topics keeps them)\n"
                    )
            out.write("stopping the simulated API and the broker\n")
        return report(result, out)
    except DemoError as error:
        out.write(f"\ndemo failed: {error}\n")
        return 1
    except KeyboardInterrupt:
        out.write("\ninterrupted: everything the demo started has been stopped\n")
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
