"""The composition root: build the worker for the chosen stages; faust runs it, the intake
feeds it.

``build_app`` composes small builders, one per concern:

- :func:`faust_app`: the faust application (lifecycle, signals, the producer; its own consumer
  and web server off, the worker's HTTP server is :mod:`moderation.worker.http`);
- :class:`~moderation.worker.judges.JudgeChain`: each model tier's judge (classifier, batch
  mode, verdict cache, rollout);
- :mod:`~moderation.worker.stage_builders`: per stage, what it reads, writes and needs
  (``build_triage``, ``build_review``, ``build_finalize``, ``build_appeal``), collected in an
  :class:`~moderation.worker.assembly.Assembly`;
- :func:`intake_for`: one :class:`~moderation.streaming.intake.Intake` for every input topic,
  which owns fetching, seeking and committing (see its docstring for why nothing can be
  skipped); each input topic has one :class:`~moderation.streaming.runner.StageRunner`;
- health (:mod:`moderation.worker.health`), the model API watch and the policy reloader.

One worker is one consumer group (``<app_id>-<stages>``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from dataclasses import dataclass, field
from typing import Any

import faust
from faust.app.base import BootStrategy

from moderation.cache.wiring import verdict_store
from moderation.halt import IntakeHalt
from moderation.llm.gateway import build_client
from moderation.llm.reachability import ApiWatch
from moderation.policy import LivePolicies, PolicyLookup
from moderation.rollout.wiring import Rollout
from moderation.settings import Settings, Stage
from moderation.streaming.intake import Intake, IntakeConfig
from moderation.streaming.records import Headers, Outbound
from moderation.streaming.runner import StageRunner
from moderation.telemetry import Telemetry
from moderation.worker.assembly import Assembly
from moderation.worker.health import serve_health
from moderation.worker.judges import JudgeChain
from moderation.worker.kafka_config import client_security, faust_credentials
from moderation.worker.services import ModelClientsService, PolicyWatchService
from moderation.worker.stage_builders import (
    build_appeal,
    build_finalize,
    build_review,
    build_triage,
)

_log = logging.getLogger(__name__)


class _NoFaustConsumer(BootStrategy):
    """faust starts its producer and sensors, but neither its consumer nor tables: the intake
    reads the stage inputs (faust's web server is off by setting, see the module docstring)."""

    enable_kafka_consumer = False


class ModerationApp(faust.App):
    """faust.App that starts the intake once faust is up and stops it (draining) first."""

    BootStrategy = _NoFaustConsumer
    intake: Intake | None = None
    drain_timeout_s: float = 30.0
    background: tuple[Any, ...] = ()
    fatal_error: BaseException | None = None

    async def on_started(self) -> None:
        await super().on_started()
        if self.intake is not None:
            await self.intake.start()
            # Replaces mode's SIGUSR1 handler, which prints every frame's local variables (item
            # content among them) to stderr: ours logs offsets and code locations only.
            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, self._report_state)
        for make in self.background:
            self.add_future(make())

    async def on_stop(self) -> None:
        if self.intake is not None:
            await self.intake.stop(self.drain_timeout_s)
        await super().on_stop()

    def _report_state(self) -> None:
        if self.intake is not None:
            _log.warning("state on SIGUSR1:\n%s", self.intake.report())

    def stop_on_fatal(self, reason: BaseException) -> None:
        """Stop like SIGTERM does (drain, commit what finished); ``moderation worker`` then
        exits 1 so the orchestrator restarts it."""
        self.fatal_error = reason
        os.kill(os.getpid(), signal.SIGTERM)


class FaustSender:
    """Produce through faust's producer (acks=all) and wait for the broker's answer."""

    def __init__(self, app: faust.App) -> None:
        self._app = app

    async def send(self, record: Outbound, headers: Headers) -> tuple[int, int]:
        metadata = await self._app.producer.send_and_wait(
            record.topic, record.key, record.value, record.partition, None, list(headers)
        )
        return metadata.partition, metadata.offset


@dataclass
class Wiring:
    """Everything the worker built, for tests and the health pages."""

    app: ModerationApp
    intake: Intake
    runners: dict[str, StageRunner] = field(default_factory=dict)
    api_watch: ApiWatch | None = None

    @property
    def source_topics(self) -> set[str]:
        return set(self.runners)


def faust_app(settings: Settings) -> ModerationApp:
    """The faust application: its producer (acks=all) and lifecycle; no consumer, no web."""
    app = ModerationApp(
        settings.group_id,
        broker=[f"kafka://{host.strip()}" for host in settings.bootstrap_servers.split(",")],
        broker_credentials=faust_credentials(settings),
        key_serializer="raw",
        value_serializer="raw",
        producer_acks=-1,
        producer_max_request_size=4 * 1024 * 1024,
        # faust's default is 20 minutes: a batch in flight when the broker went away would hold
        # its item (and every later offset's commit) that long. Failed sends are sent again.
        producer_request_timeout=settings.send_timeout_s,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        datadir=str(settings.data_dir),
        store="memory://",
        web_enabled=False,  # faust's pages serve internals; ours: worker/http.py
    )
    app.drain_timeout_s = settings.shutdown_timeout_s
    return app


def intake_for(assembly: Assembly) -> Intake:
    """The one consumer of every input topic the stages read (see :mod:`.streaming.intake`)."""
    settings = assembly.settings
    return Intake(
        IntakeConfig(
            group=settings.group_id,
            bootstrap_servers=settings.bootstrap_servers,
            client_options=client_security(settings),
            session_timeout_s=settings.session_timeout_s,
            rebalance_timeout_s=settings.rebalance_timeout_s,
            revoke_timeout_s=settings.revoke_timeout_s,
            commit_interval_s=settings.commit_interval_s,
            fetch_linger_ms=settings.fetch_linger_ms,
        ),
        assembly.runners,
        assembly.hooks,
        assembly.telemetry.metrics,
    )


def build_app(settings: Settings, telemetry: Telemetry, policies: PolicyLookup) -> Wiring:
    """The worker for ``settings.stages``: each stage's builder adds its runners, then one
    intake reads them all. Raises ConfigurationError for bad rollout settings."""
    app = faust_app(settings)
    sender = FaustSender(app)
    halt = IntakeHalt(telemetry.metrics)  # 401/402/403: stop intake, commit nothing past it
    assembly = Assembly(settings, telemetry, sender, halt)
    # Shadow mode and canary rollouts (moderation/rollout): config ids, candidates, comparisons.
    rollout = Rollout.of(settings, telemetry, lambda record: sender.send(record, ()))
    judges = JudgeChain(
        settings,
        telemetry,
        rollout,
        verdict_store(settings.verdict_cache, telemetry.metrics),
        settings.price_table(),  # validated at start: every tier's model is priced
    )
    staged = rollout.policies(policies)  # a policy canary swaps in the candidate's book
    if Stage.TRIAGE in settings.stages:
        build_triage(assembly, judges.triage(), staged)
    if Stage.REVIEW in settings.stages:
        build_review(assembly, judges.review(), staged)
    if Stage.FINALIZE in settings.stages:
        build_finalize(assembly)
    if Stage.APPEAL in settings.stages:  # appeals, and statements of reasons
        build_appeal(assembly, policies)  # the reloadable book, never a canary's candidate

    intake = intake_for(assembly)
    api_watch = None
    if Stage.TRIAGE in settings.stages or Stage.REVIEW in settings.stages:
        # Loud when the model API cannot be reached: readiness fails, one ERROR a minute.
        client = build_client(judges.api_key, settings.anthropic_base_url, timeout_s=5.0)
        api_watch = ApiWatch(client)
        assembly.background.append(api_watch.watch_forever)
    app.intake = intake
    intake.on_fatal = app.stop_on_fatal
    app.background = tuple(assembly.background)
    halt.listen(intake.pause)
    serve_health(app, settings, telemetry, intake, api_watch.problem if api_watch else lambda: None)
    app.add_dependency(ModelClientsService(judges.clients))
    if isinstance(policies, LivePolicies):  # the reloadable book, not the canary's wrapper
        app.add_dependency(PolicyWatchService(policies, settings.policy_reload_interval_s))
    telemetry.metrics.register_lag_source(intake.lag)
    return Wiring(app=app, intake=intake, runners=assembly.runners, api_watch=api_watch)
