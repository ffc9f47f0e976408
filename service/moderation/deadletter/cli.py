"""``moderation deadletter inspect`` and ``replay``: list dead letters; put chosen ones back."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from moderation.deadletter.replay import REPLAY_HEADER


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    deadletter = commands.add_parser(
        "deadletter",
        help="inspect and replay dead letters",
        description="Tools for the dead-letter topic.",
    )
    tools = deadletter.add_subparsers(dest="deadletter_command", metavar="TOOL", required=True)
    replay = tools.add_parser(
        "replay",
        help="re-publish chosen dead letters (original key, bytes and headers)",
        description=(
            "Read the dead-letter topic from the beginning with a throwaway consumer group "
            "(nothing is committed), choose dead letters by the filters (all must hold), and "
            "publish each original record again to its source topic or --to-topic, with the "
            f"header {REPLAY_HEADER!r} naming the dead letter. Prints one line per record. "
            "Connection settings: KAFKA_BOOTSTRAP_SERVERS, MODERATION_KAFKA__* (TLS/SASL), "
            "MODERATION_TOPICS__DEADLETTER."
        ),
    )
    _filters(replay, "replay at most this many")
    replay.add_argument("--to-topic", help="publish here instead of each record's source topic")
    replay.add_argument("--dry-run", action="store_true", help="show what would be replayed")
    replay.set_defaults(handler=run_replay)
    inspect = tools.add_parser(
        "inspect",
        help="list dead letters: where, why, from which offset (no content unless asked)",
        description=(
            "Read the dead-letter topic from the beginning with a throwaway consumer group "
            "(nothing is committed) and print one line per dead letter chosen by the filters: "
            "its partition:offset, error code and message, stage, content and tenant ids, and "
            "the source topic, partition and offset. The original bytes are printed only with "
            "--show-payload (they are moderated content). Connection settings as for replay."
        ),
    )
    _filters(inspect, "list at most this many")
    inspect.add_argument(
        "--show-payload",
        action="store_true",
        help="also print each original value (UTF-8, replacement characters for bad bytes)",
    )
    inspect.set_defaults(handler=run_inspect)


def _filters(parser: argparse.ArgumentParser, limit_help: str) -> None:
    parser.add_argument("--error-code", action="append", default=[], help="e.g. unknown_tenant")
    parser.add_argument("--content-id", action="append", default=[], help="repeatable")
    parser.add_argument("--tenant-id", action="append", default=[], help="repeatable")
    parser.add_argument("--source-topic", action="append", default=[], help="repeatable")
    parser.add_argument("--since", help="failed at or after: 2h, 30m, 7d, or an ISO 8601 time")
    parser.add_argument("--limit", type=int, help=limit_help)
    parser.add_argument("--topic", help="the dead-letter topic (default: from settings)")


def _chosen(args: argparse.Namespace) -> Any:
    from moderation.cli_errors import UsageError
    from moderation.deadletter.replay import ReplayFilter, parse_since

    if args.limit is not None and args.limit < 0:
        raise UsageError(f"--limit {args.limit}: must be 0 or more")
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as error:
        raise UsageError(str(error)) from None
    return ReplayFilter(
        error_codes=frozenset(args.error_code),
        content_ids=frozenset(args.content_id),
        tenant_ids=frozenset(args.tenant_id),
        source_topics=frozenset(args.source_topic),
        since=since,
        limit=args.limit,
    )


def _run(args: argparse.Namespace, work: Any) -> int:
    from moderation.cli_errors import RuntimeProblem
    from moderation.settings import Settings

    settings = Settings()  # a ValidationError is one line naming the variable (cli_errors)
    chosen = _chosen(args)
    try:
        status: int = asyncio.run(work(settings, args, chosen))
    except (LookupError, TimeoutError) as error:
        raise RuntimeProblem(str(error)) from None
    return status


def run_replay(args: argparse.Namespace) -> int:
    return _run(args, _replay)


def run_inspect(args: argparse.Namespace) -> int:
    return _run(args, _inspect)


async def _inspect(settings: Any, args: argparse.Namespace, chosen: Any) -> int:
    from moderation.deadletter.kafka_io import read_all, throwaway_group
    from moderation.deadletter.replay import plan_replay
    from moderation.worker.kafka_config import client_security

    topic = args.topic or settings.topics.deadletter
    raw = await read_all(
        settings.bootstrap_servers,
        topic,
        group=throwaway_group(settings.app_id),
        security=client_security(settings),
    )
    plan = plan_replay(raw, chosen, dead_letter_topic=topic)
    for bad in plan.unreadable:
        print(f"{bad.partition}:{bad.offset} not a dead letter ({bad.problem})")
    for record in plan.records:
        letter = record.letter
        print(
            f"{record.letter_partition}:{record.letter_offset} {letter.failed_at.isoformat()} "
            f"[{letter.error_code}] stage={letter.stage or '-'} "
            f"content_id={letter.content_id or '-'} tenant={letter.tenant_id or '-'} "
            f"from {letter.source_topic}[{letter.source_partition}]@{letter.source_offset}: "
            f"{letter.error_message[:200]}"
        )
        if args.show_payload:
            print(f"  payload: {record.value.decode('utf-8', errors='replace')}")
    extra = f"; {plan.left_by_limit} more beyond --limit" if plan.left_by_limit else ""
    print(
        f"{topic}: {plan.scanned} records, {len(plan.records)} listed{extra}; "
        f"{len(plan.unreadable)} unreadable"
    )
    return 0


async def _replay(settings: Any, args: argparse.Namespace, chosen: Any) -> int:
    from moderation.deadletter.kafka_io import publish, read_all, throwaway_group
    from moderation.deadletter.replay import plan_replay
    from moderation.worker.kafka_config import client_security

    topic = args.topic or settings.topics.deadletter
    security = client_security(settings)
    raw = await read_all(
        settings.bootstrap_servers,
        topic,
        group=throwaway_group(settings.app_id),
        security=security,
    )
    plan = plan_replay(raw, chosen, dead_letter_topic=topic, to_topic=args.to_topic)
    for bad in plan.unreadable:
        print(f"skipped {bad.partition}:{bad.offset}: not a dead letter ({bad.problem})")
    if args.dry_run:
        for record in plan.records:
            print(f"would replay {record.describe()}")
    else:
        landed = await publish(settings.bootstrap_servers, plan.records, security=security)
        for record, partition, offset in landed:
            print(f"replayed {record.describe()}[{partition}]@{offset}")
    verb = "would replay" if args.dry_run else "replayed"
    extra = f"; {plan.left_by_limit} more matched beyond --limit" if plan.left_by_limit else ""
    print(
        f"{topic}: scanned {plan.scanned} dead letters, {verb} {len(plan.records)}"
        f"{extra}; {len(plan.unreadable)} unreadable"
    )
    return 0
