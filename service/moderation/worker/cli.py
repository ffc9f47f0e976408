"""``moderation worker``: run one or more stages as a faust worker."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys

from pydantic import ValidationError

_STAGE_HELP = (
    "comma-separated stages to run: triage, review, finalize (default: all three, or "
    "MODERATION_STAGES). Production runs one stage per deployment; workers running the same "
    "stages form one consumer group."
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = commands.add_parser(
        "worker",
        help="run the moderation stages (faust worker)",
        description=(
            "Consume the stage input topics, classify with the configured models, and produce "
            "decisions, review tasks and dead letters. Settings come from MODERATION_* "
            "variables plus KAFKA_BOOTSTRAP_SERVERS, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL and "
            "OTEL_*; see the README's configuration table. SIGTERM drains in-flight work."
        ),
    )
    worker.add_argument("--stages", help=_STAGE_HELP)
    worker.add_argument("--web-port", type=int, help="health/metrics port (default 6066; 0 = off)")
    worker.add_argument(
        "--no-create-topics",
        action="store_true",
        help="do not create missing topics at start-up",
    )
    worker.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.stages:
        os.environ["MODERATION_STAGES"] = args.stages
    if args.web_port is not None:
        os.environ["MODERATION_WEB_PORT"] = str(args.web_port)
    from moderation.settings import Settings, Stage

    try:
        settings = Settings()
    except ValidationError as error:
        print(f"error: invalid settings:\n{error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper().replace("WARN", "WARNING").replace("CRIT", "CRITICAL"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from moderation.worker.log_privacy import cap_payload_loggers

    cap_payload_loggers()  # at DEBUG these libraries would log message values (content)
    log = logging.getLogger("moderation.worker")
    log.info("effective settings: %s", json.dumps(settings.masked(), sort_keys=True))
    if settings.anthropic_api_key is None:
        print(
            "error: ANTHROPIC_API_KEY is not set (for the simulated API any value works)",
            file=sys.stderr,
        )
        return 2

    from moderation.policy import PolicyBook, PolicyError

    try:
        policies = PolicyBook.load(settings.policy_file)
    except PolicyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    from moderation.telemetry import setup
    from moderation.worker.app import build_app
    from moderation.worker.topics import (
        contract_limits,
        copartition_problem,
        ensure_topics,
        partition_counts,
    )

    telemetry = setup(service_name=f"moderation-{'-'.join(settings.stages)}")
    wiring = build_app(settings, telemetry, policies)
    if not args.no_create_topics:
        created = asyncio.run(
            ensure_topics(
                settings.bootstrap_servers,
                settings.topics.all(),
                settings.topic_partitions,
                settings.topic_replication,
                max_message_bytes=contract_limits(settings.topics),
                compacted=settings.topics.compacted(),
            )
        )
        if created:
            log.info("created topics: %s", ", ".join(created))
    if Stage.FINALIZE in settings.stages:
        internal = (settings.topics.finalize_events, settings.topics.finalize_state)
        problem = copartition_problem(
            settings.topics, asyncio.run(partition_counts(settings.bootstrap_servers, internal))
        )
        if problem is not None:
            print(f"error: {problem}", file=sys.stderr)
            return 2

    import faust

    worker = faust.Worker(
        wiring.app,
        loglevel=settings.log_level,
        quiet=True,
        override_logging=False,
    )
    try:
        worker.execute_from_commandline()
    except SystemExit as exit_:
        code = int(exit_.code or 0)
        return 1 if code == 0 and wiring.app.fatal_error is not None else code
    finally:
        telemetry.shutdown()
    return 1 if wiring.app.fatal_error is not None else 0
