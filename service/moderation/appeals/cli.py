"""``moderation report appeals``: the appeal figures a transparency report needs."""

from __future__ import annotations

import argparse
import sys


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser(
        "report",
        help="figures for transparency reports",
        description="Figures for transparency reports, read from the service's topics.",
    )
    tools = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    appeals = tools.add_parser(
        "appeals",
        help="per tenant: appeals received, decided, median time to decision, reversal rate",
        description=(
            "Read moderation.appeal-outcomes.v1 (MODERATION_TOPICS__APPEAL_OUTCOMES) from the "
            "beginning on KAFKA_BOOTSTRAP_SERVERS and print, per tenant, the appeals received, "
            "rejected, still open and decided, the median hours from submission to decision "
            "and the reversal rate (overturned / decided)."
        ),
    )
    appeals.add_argument(
        "--topic", help="outcomes topic (default: MODERATION_TOPICS__APPEAL_OUTCOMES)"
    )
    appeals.set_defaults(handler=run_appeals)


def run_appeals(args: argparse.Namespace) -> int:
    from moderation.appeals.report import summarise, table
    from moderation.deadletter.kafka_io import read_contract_records
    from moderation.settings import Settings
    from moderation_contracts import AppealOutcome

    settings = Settings()  # a ValidationError is one line naming the variable (cli_errors)
    topic = args.topic or settings.topics.appeal_outcomes
    try:
        outcomes, unreadable = read_contract_records(
            settings, topic, AppealOutcome, "appeals-report"
        )
    except LookupError as error:
        print(f"error: {error} (MODERATION_TOPICS__APPEAL_OUTCOMES)", file=sys.stderr)
        return 2
    print(table(summarise(outcomes)))
    if unreadable:
        print(f"({unreadable} records on {topic} did not match the appeal-outcome contract)")
    return 0
