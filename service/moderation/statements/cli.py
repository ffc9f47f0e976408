"""``moderation statements export``: the statements of reasons as DSA database batches."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path


def since_value(text: str) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO 8601 time with an offset."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--since {text!r}: give a date (2026-11-01) or a time with an offset "
            "(2026-11-01T09:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        if len(text) > 10:
            raise argparse.ArgumentTypeError(f"--since {text!r}: a time needs an offset (Z)")
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    statements = commands.add_parser(
        "statements",
        help="statements of reasons (EU DSA Article 17) for restricting decisions",
        description="Statements of reasons, one per final decision that restricts content.",
    )
    tools = statements.add_subparsers(dest="statements_command", metavar="TOOL", required=True)
    export = tools.add_parser(
        "export",
        help="write statements as JSONL batches (<= 100) for the DSA Transparency Database",
        description=(
            "Read moderation.statements.v1 (MODERATION_TOPICS__STATEMENTS) from the beginning "
            "on KAFKA_BOOTSTRAP_SERVERS and write the statements of decisions made since "
            "--since as JSON lines, one API batch of at most 100 per line, each validated "
            "against the database's published field list. Exit 1 if a statement was refused."
        ),
    )
    export.add_argument(
        "--since", required=True, type=since_value, help="date (UTC) or ISO time with offset"
    )
    export.add_argument("--out", type=Path, help="output file (default: standard output)")
    export.add_argument("--topic", help="statements topic (default: MODERATION_TOPICS__STATEMENTS)")
    export.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    from moderation.deadletter.kafka_io import read_contract_records
    from moderation.settings import Settings
    from moderation.statements.export import export
    from moderation_contracts import StatementOfReasons

    settings = Settings()  # a ValidationError is one line naming the variable (cli_errors)
    topic = args.topic or settings.topics.statements
    print(f"reading {topic} ...", file=sys.stderr)
    try:
        statements, unreadable = read_contract_records(
            settings, topic, StatementOfReasons, "statements-export"
        )
    except LookupError as error:
        print(f"error: {error} (MODERATION_TOPICS__STATEMENTS)", file=sys.stderr)
        return 2
    result = export(statements, args.since)
    lines = "".join(json.dumps(batch, ensure_ascii=False) + "\n" for batch in result.batches)
    if args.out is None:
        sys.stdout.write(lines)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(lines, encoding="utf-8")
    for problem in result.invalid:
        print(f"refused by the DSA field list: {problem}", file=sys.stderr)
    print(
        f"exported {result.exported} statements in {len(result.batches)} batches "
        f"({result.duplicates} duplicates skipped, {len(result.invalid)} refused, "
        f"{unreadable} unreadable records)",
        file=sys.stderr,
    )
    return 1 if result.invalid else 0
