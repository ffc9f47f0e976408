"""Build the worker for the chosen stages: faust runs it, the intake feeds it.

One worker is one consumer group (``<app_id>-<stages>``). faust runs the application (its
lifecycle, signals, producer and timers) with its own consumer and web server switched off
(the worker's HTTP server is :mod:`moderation.worker.http`). The stage inputs are read by
:class:`~moderation.streaming.intake.Intake`, which owns fetching, seeking and committing (see
its docstring for why nothing can be skipped). Each input topic has one
:class:`~moderation.streaming.runner.StageRunner`.
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

from moderation.batch.settings import BatchSettings
from moderation.batch.wiring import batched
from moderation.cache.settings import VerdictCacheSettings
from moderation.cache.wiring import cached, verdict_store
from moderation.halt import IntakeHalt
from moderation.llm.classify import Classifier, TierConfig
from moderation.llm.gateway import ModelGateway, Resilience, build_client
from moderation.llm.reachability import ApiWatch
from moderation.policy import LivePolicies, PolicyLookup
from moderation.rollout.wiring import Rollout
from moderation.settings import ModelTier, Settings, Stage
from moderation.stages.appeal import AppealStage
from moderation.stages.appeal_intake import AppealIntake, AppealStore
from moderation.stages.common import failure_handler
from moderation.stages.finalize import FinalizeIntake, FinalizeStage, FinalizeStore, sweep_forever
from moderation.stages.review import ReviewStage
from moderation.stages.triage import TriageStage
from moderation.streaming.intake import Intake, IntakeConfig, PartitionHooks
from moderation.streaming.records import Headers, Outbound
from moderation.streaming.runner import Handler, RunnerConfig, StageRunner, TraceParent
from moderation.telemetry import Telemetry
from moderation.worker.health import serve_health
from moderation.worker.kafka_config import client_security, faust_credentials
from moderation.worker.services import PolicyWatchService
from moderation_contracts import Tier

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


def build_app(settings: Settings, telemetry: Telemetry, policies: PolicyLookup) -> Wiring:
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
    sender = FaustSender(app)
    topics = settings.topics
    runners: dict[str, StageRunner] = {}
    hooks: list[PartitionHooks] = []
    halt = IntakeHalt(telemetry.metrics)  # 401/402/403: stop intake, commit nothing past it

    def read(
        topic: str,
        stage: str,
        window: int,
        handler: Handler,
        trace_parent: TraceParent | None = None,
    ) -> None:
        """``stage`` reads ``topic``: one runner with its own in-flight window."""
        runners[topic] = StageRunner(
            RunnerConfig(
                stage=stage,
                group=settings.group_id,
                window=window,
                item_deadline_s=settings.item_deadline_s,
            ),
            handler,
            failure_handler(topics, stage),
            sender,
            telemetry.tracer,
            telemetry.metrics,
            trace_parent,
            halt=halt,
        )

    api_key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else None
    prices = settings.price_table()  # validated at start: every tier's model is priced

    def classifier(tier: Tier, config: ModelTier) -> Classifier:
        # The gateway retries (paced, budgeted, circuit-aware); the SDK's own retries stay off.
        client = build_client(api_key, settings.anthropic_base_url, timeout_s=config.timeout_s)
        gateway = ModelGateway(
            client,
            telemetry.tracer,
            prices=prices,
            metrics=telemetry.metrics,
            resilience=Resilience.of(config),
        )
        return Classifier(
            gateway,
            TierConfig(tier, config.model, config.max_tokens, config.thinking_budget),
        )

    # Speed and cost levers (loadtest/README.md): verdict cache (default on), batch mode (off).
    cache_settings = VerdictCacheSettings()
    verdicts = verdict_store(cache_settings, telemetry.metrics)
    # Shadow mode and canary rollouts (moderation/rollout): config ids, candidates, comparisons.
    rollout = Rollout.from_env(settings, telemetry, lambda record: sender.send(record, ()))
    live = policies  # the reloadable book, before a policy canary wraps it
    policies = rollout.policies(policies)
    batch_settings = BatchSettings()
    if Stage.TRIAGE in settings.stages:
        triage_judge = batched(
            classifier(Tier.HAIKU, settings.triage),
            batch_settings,
            stage="triage",
            api_key=api_key,
            base_url=settings.anthropic_base_url,
            tracer=telemetry.tracer,
            metrics=telemetry.metrics,
        )
        triage_judge = rollout.judge(
            cached(triage_judge, verdicts), Tier.HAIKU, lambda j: cached(j, verdicts)
        )
        triage = TriageStage(triage_judge, policies, topics)
        read(topics.requests, "triage", settings.triage.max_in_flight, triage.handle)
    if Stage.REVIEW in settings.stages:
        review_judge = batched(
            classifier(Tier.SONNET, settings.review),
            batch_settings,
            stage="review",
            api_key=api_key,
            base_url=settings.anthropic_base_url,
            tracer=telemetry.tracer,
            metrics=telemetry.metrics,
        )
        review_store = verdicts if cache_settings.review else None
        review_judge = cached(review_judge, review_store)
        review_judge = rollout.judge(review_judge, Tier.SONNET, lambda j: cached(j, review_store))
        review = ReviewStage(review_judge, policies, topics)
        read(topics.review, "review", settings.review.max_in_flight, review.handle)
    background: list[Any] = []
    if Stage.FINALIZE in settings.stages:
        window = settings.finalize.max_in_flight
        rekey = FinalizeIntake(topics)
        read(topics.human_review, "finalize", window, rekey.handle)
        read(topics.human_decisions, "finalize", window, rekey.handle)
        store = FinalizeStore(topics, settings.bootstrap_servers, client_security(settings))
        finalize = FinalizeStage(
            store,
            topics,
            deadline_hours=settings.human_review_deadline_h,
            park_max_age_s=settings.finalize.park_max_age_s,
            park_max_items=settings.finalize.park_max_items,
        )
        read(topics.finalize_events, "finalize", window, finalize.handle, finalize.trace_parent)
        hooks.append(store)
        age = settings.finalize.park_max_age_s
        background.append(lambda: sweep_forever(store, sender, age))
    if Stage.APPEAL in settings.stages:  # appeals, and statements of reasons
        window = settings.appeal.max_in_flight
        rekey_appeals = AppealIntake(topics)
        for source in (topics.decisions, topics.appeals, topics.appeal_decisions):
            read(source, "appeal", window, rekey_appeals.handle)
        appeal_store = AppealStore(topics, settings.bootstrap_servers, client_security(settings))
        appeal = AppealStage(
            appeal_store, live, topics, deadline_hours=settings.appeal.decision_deadline_h
        )
        read(topics.appeal_events, "appeal", window, appeal.handle)
        hooks.append(appeal_store)

    intake = Intake(
        IntakeConfig(
            group=settings.group_id,
            bootstrap_servers=settings.bootstrap_servers,
            client_options=client_security(settings),
            session_timeout_s=settings.session_timeout_s,
            rebalance_timeout_s=settings.rebalance_timeout_s,
            revoke_timeout_s=settings.revoke_timeout_s,
            commit_interval_s=settings.commit_interval_s,
        ),
        runners,
        hooks,
        telemetry.metrics,
    )
    api_watch = None
    if Stage.TRIAGE in settings.stages or Stage.REVIEW in settings.stages:
        # Loud when the model API cannot be reached: readiness fails, one ERROR a minute.
        api_watch = ApiWatch(build_client(api_key, settings.anthropic_base_url, timeout_s=5.0))
        background.append(api_watch.watch_forever)
    app.intake = intake
    intake.on_fatal = app.stop_on_fatal
    app.background = tuple(background)
    halt.listen(intake.pause)
    serve_health(app, settings, telemetry, intake, api_watch.problem if api_watch else lambda: None)
    if isinstance(live, LivePolicies):
        app.add_dependency(PolicyWatchService(live, settings.policy_reload_interval_s))
    telemetry.metrics.register_lag_source(intake.lag)
    return Wiring(app=app, intake=intake, runners=runners, api_watch=api_watch)
