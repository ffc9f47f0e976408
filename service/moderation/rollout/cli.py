"""``moderation shadow report``: what the candidate in shadow mode would have done differently."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    shadow = commands.add_parser(
        "shadow",
        help="shadow-mode tools (compare a candidate configuration with production)",
        description="Shadow mode runs a candidate beside production (MODERATION_SHADOW__*).",
    )
    tools = shadow.add_subparsers(dest="shadow_command", metavar="TOOL", required=True)
    report = tools.add_parser(
        "report",
        help="summarise the shadow topic: agreement, kappa, flips by category, cost delta",
        description=(
            "Read moderation.shadow.v1 (MODERATION_TOPICS__SHADOW) from the beginning on "
            "KAFKA_BOOTSTRAP_SERVERS, print a table per stage and candidate, and draw a PNG."
        ),
    )
    report.add_argument("--topic", help="shadow topic (default: MODERATION_TOPICS__SHADOW)")
    report.add_argument(
        "--out", type=Path, default=Path(".run/shadow-report.png"), help="where the PNG goes"
    )
    report.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    from moderation.deadletter.kafka_io import read_contract_records
    from moderation.rollout.report import draw, summarise, table
    from moderation.settings import Settings
    from moderation_contracts import ShadowComparison

    settings = Settings()  # a ValidationError is one line naming the variable (cli_errors)
    topic = args.topic or settings.topics.shadow
    try:
        records, unreadable = read_contract_records(
            settings, topic, ShadowComparison, "shadow-report"
        )
    except LookupError as error:
        print(f"error: {error} (is shadow mode on? MODERATION_SHADOW__ENABLED)", file=sys.stderr)
        return 2
    summaries = summarise(records)
    print(table(summaries))
    if unreadable:
        print(f"({unreadable} records on {topic} did not match the shadow-comparison contract)")
    if summaries:
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            draw(summaries, str(args.out))
            print(f"chart: {args.out}")
        except ImportError:
            print("no chart: pip install 'moderation[eval]' for matplotlib")
    return 0
