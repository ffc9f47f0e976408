"""``moderation trace CONTENT_ID``: show an item's trace as a waterfall from the local file."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from moderation.telemetry.config import TRACE_FILE_VARIABLE
from moderation.telemetry.records import read_records
from moderation.telemetry.waterfall import render, traces_for

DEFAULT_TRACE_FILE = ".run/traces.jsonl"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``trace`` subcommand."""
    default_file = os.environ.get(TRACE_FILE_VARIABLE) or DEFAULT_TRACE_FILE
    parser = commands.add_parser(
        "trace",
        help="show one item's trace as a terminal waterfall (latency and cost per hop)",
        description=(
            "Render every trace that touched CONTENT_ID as a waterfall, from the local JSON-lines "
            "trace file "
            f"that workers write when {TRACE_FILE_VARIABLE} is set. Each span is one row, "
            "indented under its parent, with a bar placed on the trace's time line, its "
            "latency and, for LLM calls, model, tokens and cost. The last line sums the trace: "
            "end-to-end latency and the cost of all LLM calls."
        ),
        epilog=(
            f"example: {TRACE_FILE_VARIABLE}=.run/traces.jsonl .venv/bin/moderation trace post-42"
        ),
    )
    parser.add_argument("content_id", metavar="CONTENT_ID", help="the item's content_id")
    parser.add_argument(
        "--file",
        type=Path,
        default=Path(default_file),
        metavar="PATH",
        help=f"trace file to read (default: ${TRACE_FILE_VARIABLE} or {DEFAULT_TRACE_FILE}; "
        f"now {default_file})",
    )
    parser.add_argument(
        "--width", type=int, default=40, metavar="N", help="width of the time bars (default 40)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``moderation trace``; returns the exit status."""
    path: Path = args.file
    content_id: str = args.content_id
    if not path.is_file():
        print(
            f"trace file {path} not found: start the workers with {TRACE_FILE_VARIABLE}={path} "
            "or pass --file PATH",
            file=sys.stderr,
        )
        return 2
    views = traces_for(read_records(path), content_id)
    if not views:
        print(f"no spans for content_id {content_id!r} in {path}", file=sys.stderr)
        return 1
    sys.stdout.write(render(views, content_id, width=args.width))
    return 0
