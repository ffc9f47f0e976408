"""``moderation worker``: run one or more stages as a faust worker."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import sys
from typing import TYPE_CHECKING

from moderation.streaming.start_offsets import StartFrom

if TYPE_CHECKING:
    from collections.abc import Callable

    from moderation.llm.reachability import ApiCheck
    from moderation.policy import PolicyBook
    from moderation.settings import Settings
    from moderation.worker.app import Wiring

_STAGE_HELP = (
    "comma-separated stages to run: triage, review, finalize, appeal (default: all four, or "
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
    worker.add_argument(
        "--web-port",
        type=int,
        help="health/metrics port (MODERATION_WEB_PORT; default 6066 for all stages, 6066 + "
        "triage 1, review 2, finalize 4, appeal 8 for a subset, so per-stage workers share a "
        "host; 0 = off)",
    )
    worker.add_argument(
        "--from",
        dest="start_from",
        choices=[mode.value for mode in StartFrom],
        default=StartFrom.COMMITTED.value,
        help="where a NEW consumer group starts on input another group of this app already "
        "read (a changed --stages layout): committed = where that group committed (default, "
        "nothing classified twice), earliest = read the history again, latest = skip it. A "
        "group that has committed resumes where it left off; on a fresh cluster it starts at "
        "the earliest offset.",
    )
    worker.add_argument(
        "--no-create-topics",
        action="store_true",
        help="do not create missing topics at start-up",
    )
    worker.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Start-up in order: settings, logging, policies, telemetry, the app, topics, start
    offsets, the model API check; then faust runs the worker until SIGTERM (or a fatal error:
    exit 1 so the orchestrator restarts it)."""
    from moderation.errors import ConfigurationError
    from moderation.policy import LivePolicies
    from moderation.telemetry import set_content_hash_key, setup
    from moderation.worker.app import build_app

    settings = _settings(args)
    log, loud_again = _configure_logging(settings)
    book = _policy_book(settings)
    key = settings.content_hash_key
    set_content_hash_key(key.get_secret_value().encode() if key else None)
    telemetry = setup(service_name=f"moderation-{'-'.join(settings.stages)}")
    policies = LivePolicies(settings.policy_file, book, telemetry.metrics)
    try:
        wiring = build_app(settings, telemetry, policies)
    except ConfigurationError as error:  # e.g. shadow or canary settings (moderation/rollout)
        print(f"error: {error}", file=sys.stderr)
        telemetry.shutdown()
        return 2
    _prepare_topics(settings, create=not args.no_create_topics, log=log)
    asyncio.run(_prepare_offsets(settings, wiring.source_topics, StartFrom(args.start_from)))
    if wiring.api_watch is not None:
        wiring.api_watch.record(asyncio.run(startup_api_check(settings, log)))
    loud_again()
    try:
        return _run_faust(wiring, settings)
    finally:
        telemetry.shutdown()


def _settings(args: argparse.Namespace) -> Settings:
    """Flags over the environment; the web port free; the data folder writable. A bad value
    raises (one line naming the variable or flag, exit 2)."""
    from moderation.portcheck import ensure_port_free
    from moderation.worker.data_dir import prepare_data_dir
    from moderation.worker.settings_check import load_settings
    from moderation.worker.web_port import default_web_port

    settings = load_settings(stages=args.stages or None, web_port=args.web_port)
    if args.web_port is None and "MODERATION_WEB_PORT" not in os.environ:
        settings = settings.model_copy(update={"web_port": default_web_port(settings.stages)})
    port_source = "--web-port" if args.web_port is not None else "MODERATION_WEB_PORT"
    ensure_port_free(settings.web_host, settings.web_port, port_source)
    prepare_data_dir(settings.data_dir)
    return settings


def _configure_logging(settings: Settings) -> tuple[logging.Logger, Callable[[], None]]:
    """Logging at the configured level, payload loggers capped, the effective settings (masked)
    and unknown variables logged; returns the worker's logger and the call that makes the
    bootstrap loggers loud again once faust runs."""
    from moderation.cli_errors import UsageError
    from moderation.log_privacy import cap_payload_loggers
    from moderation.worker.log_noise import quiet_bootstrap_failures, quiet_expected_retries
    from moderation.worker.settings_check import warn_unknown_variables

    logging.basicConfig(
        level=settings.log_level.upper().replace("WARN", "WARNING").replace("CRIT", "CRITICAL"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    cap_payload_loggers()  # at DEBUG these libraries would log message values (content)
    quiet_expected_retries()  # a forming group's coordinator retries are INFO, not ERROR
    loud_again = quiet_bootstrap_failures()  # until faust runs: our own line names the servers
    log = logging.getLogger("moderation.worker")
    log.info("effective settings: %s", json.dumps(settings.masked(), sort_keys=True))
    warn_unknown_variables(os.environ, log)
    if settings.anthropic_api_key is None:
        raise UsageError("ANTHROPIC_API_KEY is not set (for the simulated API any value works)")
    return log, loud_again


def _policy_book(settings: Settings) -> PolicyBook:
    from moderation.cli_errors import UsageError
    from moderation.policy import PolicyBook, PolicyError

    try:
        return PolicyBook.load(settings.policy_file)
    except PolicyError as error:
        raise UsageError(str(error)) from None


def _prepare_topics(settings: Settings, *, create: bool, log: logging.Logger) -> None:
    """Create missing topics (unless told not to); finalize's internal topics must be
    co-partitioned (exit 2 naming them when not)."""
    from moderation.cli_errors import UsageError
    from moderation.settings import Stage
    from moderation.worker.topics import (
        contract_limits,
        copartition_problem,
        ensure_topics,
        partition_counts,
    )

    if create:
        created = asyncio.run(
            ensure_topics(
                settings.bootstrap_servers,
                settings.topics.all(),
                settings.topic_partitions,
                settings.topic_replication,
                max_message_bytes=contract_limits(settings.topics),
                compacted=settings.topics.compacted(),
                min_insync_replicas=settings.topic_min_insync_replicas,
            )
        )
        if created:
            log.info("created topics: %s", ", ".join(created))
    if Stage.FINALIZE in settings.stages or Stage.APPEAL in settings.stages:
        names = settings.topics
        internal = (
            names.finalize_events,
            names.finalize_state,
            names.appeal_events,
            names.appeal_state,
        )
        problem = copartition_problem(
            settings.topics, asyncio.run(partition_counts(settings.bootstrap_servers, internal))
        )
        if problem is not None:
            raise UsageError(problem)


async def _prepare_offsets(settings: Settings, sources: set[str], start_from: StartFrom) -> None:
    from moderation.streaming.start_offsets import prepare_start_offsets
    from moderation.worker.kafka_config import client_security

    await prepare_start_offsets(
        settings.bootstrap_servers,
        settings.group_id,
        sorted(sources),
        start_from,
        app_id=settings.app_id,
        security=client_security(settings),
    )


def _run_faust(wiring: Wiring, settings: Settings) -> int:
    """faust runs the worker; 1 after a fatal error (the orchestrator restarts it), else its
    own exit code."""
    import faust

    worker = faust.Worker(
        wiring.app,
        loglevel=settings.log_level,
        quiet=True,
        override_logging=False,
    )
    if not sys.stdout.isatty():
        worker.spinner = None  # its cursor escapes (ESC[?25l/h) would land in log files
    # Everything built so far (modules, the app, clients) lives as long as the process: move
    # it out of the collector's generations so full collections stop re-scanning it per item.
    gc.freeze()
    try:
        worker.execute_from_commandline()
    except SystemExit as exit_:
        code = int(exit_.code or 0)
        return 1 if code == 0 and wiring.app.fatal_error is not None else code
    return 1 if wiring.app.fatal_error is not None else 0


async def startup_api_check(settings: Settings, log: logging.Logger) -> ApiCheck:
    """Say which endpoint and models the worker uses; a rejected key stops it (exit 2)."""
    from moderation.cli_errors import UsageError
    from moderation.llm.gateway import build_client
    from moderation.llm.reachability import check_api, endpoint_of
    from moderation.settings import Stage

    key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else None
    client = build_client(key, settings.anthropic_base_url, timeout_s=5.0)
    try:
        result = await check_api(client)
    finally:
        await client.close()
    if result.rejected_key:
        raise UsageError(f"{result.detail}; check ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL)")
    models = ", ".join(
        f"{stage} uses {tier.model}"
        for stage, tier in ((Stage.TRIAGE, settings.triage), (Stage.REVIEW, settings.review))
        if stage in settings.stages
    )
    if result.ok:
        log.info("model API at %s answers; %s", endpoint_of(client), models)
    else:
        log.error(
            "model API: %s; %s. The worker starts but stays not ready until it answers "
            "(set ANTHROPIC_BASE_URL to the simulator's URL for local runs)",
            result.detail,
            models,
        )
    return result
