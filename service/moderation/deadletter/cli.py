"""``moderation deadletter replay``: put chosen dead letters back on their topic after a fix."""

from __future__ import annotations

import argparse
import asyncio
import sys
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
    replay.add_argument("--error-code", action="append", default=[], help="e.g. unknown_tenant")
    replay.add_argument("--content-id", action="append", default=[], help="repeatable")
    replay.add_argument("--tenant-id", action="append", default=[], help="repeatable")
    replay.add_argument("--source-topic", action="append", default=[], help="repeatable")
    replay.add_argument("--since", help="failed at or after: 2h, 30m, 7d, or an ISO 8601 time")
    replay.add_argument("--limit", type=int, help="replay at most this many")
    replay.add_argument("--to-topic", help="publish here instead of each record's source topic")
    replay.add_argument("--topic", help="the dead-letter topic (default: from settings)")
    replay.add_argument("--dry-run", action="store_true", help="show what would be replayed")
    replay.set_defaults(handler=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from moderation.deadletter.replay import ReplayFilter, parse_since
    from moderation.settings import Settings, settings_problems

    try:
        settings = Settings()
    except ValidationError as error:
        for line in settings_problems(error):
            print(f"error: invalid settings: {line}", file=sys.stderr)
        return 2
    if args.limit is not None and args.limit < 0:
        print("error: --limit must be 0 or more", file=sys.stderr)
        return 2
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    chosen = ReplayFilter(
        error_codes=frozenset(args.error_code),
        content_ids=frozenset(args.content_id),
        tenant_ids=frozenset(args.tenant_id),
        source_topics=frozenset(args.source_topic),
        since=since,
        limit=args.limit,
    )
    try:
        return asyncio.run(_replay(settings, args, chosen))
    except (LookupError, TimeoutError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


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
