"""Build the faust application for the chosen stages.

One faust app is one consumer group. Each stage agent is a single actor whose stream (acks
off) is handed to a :class:`~moderation.streaming.runner.StageRunner`; the runners drain their
in-flight work before faust commits and closes the consumer on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, cast

import faust

from moderation.batch.settings import BatchSettings
from moderation.batch.wiring import batched
from moderation.cache.settings import VerdictCacheSettings
from moderation.cache.wiring import cached, verdict_store
from moderation.halt import IntakeHalt
from moderation.llm.classify import Classifier, TierConfig
from moderation.llm.gateway import ModelGateway, Resilience, build_client
from moderation.policy import LivePolicies, PolicyLookup
from moderation.settings import ModelTier, Settings, Stage
from moderation.stages.common import failure_handler
from moderation.stages.finalize import FinalizeStage
from moderation.stages.review import ReviewStage
from moderation.stages.triage import TriageStage
from moderation.streaming.records import Headers, Inbound, Outbound
from moderation.streaming.runner import RunnerConfig, StageRunner, TraceParent
from moderation.telemetry import PartitionLag, Telemetry
from moderation.worker.health import readiness, serve_health
from moderation.worker.kafka_config import faust_credentials
from moderation.worker.reread import read_range
from moderation.worker.services import PolicyWatchService
from moderation_contracts import Tier

_log = logging.getLogger(__name__)


class ModerationApp(faust.App):
    """faust.App that drains the stage runners before faust stops its consumer."""

    runners: list[StageRunner]
    drain_timeout_s: float = 30.0

    async def on_stop(self) -> None:
        runners = getattr(self, "runners", [])
        if runners:
            in_flight = sum(runner.in_flight for runner in runners)
            _log.info("draining %d in-flight items (up to %.0fs)", in_flight, self.drain_timeout_s)
            left = await asyncio.gather(*(r.drain(self.drain_timeout_s) for r in runners))
            if any(left):
                _log.warning(
                    "%d items still in flight at shutdown; their offsets stay uncommitted "
                    "and they will be processed again",
                    sum(left),
                )
        # Everything the runners took is finished or abandoned. Events still buffered (or held
        # by a paused runner) were never started: faust's wait_empty would wait for them for
        # ever, so commit what is acked and leave the rest to the next owner of the partition.
        with warnings.catch_warnings():  # faust warns when a used setting changes; intended here
            warnings.simplefilter("ignore")
            self.conf.stream_wait_empty = False
        await super().on_stop()


class FaustSender:
    """Produce through faust's producer (acks=all) and wait for the broker's answer."""

    def __init__(self, app: faust.App) -> None:
        self._app = app

    async def send(self, record: Outbound, headers: Headers) -> tuple[int, int]:
        metadata = await self._app.producer.send_and_wait(
            record.topic, record.key, record.value, None, None, list(headers)
        )
        return metadata.partition, metadata.offset


@dataclass
class Wiring:
    """Everything the worker built, for tests and the health pages."""

    app: ModerationApp
    runners: dict[str, StageRunner] = field(default_factory=dict)
    source_topics: set[str] = field(default_factory=set)


def build_app(settings: Settings, telemetry: Telemetry, policies: PolicyLookup) -> Wiring:
    app = ModerationApp(
        settings.group_id,
        broker=[f"kafka://{host.strip()}" for host in settings.bootstrap_servers.split(",")],
        broker_credentials=faust_credentials(settings),
        key_serializer="raw",
        value_serializer="raw",
        producer_acks=-1,
        producer_max_request_size=4 * 1024 * 1024,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        broker_rebalance_timeout=settings.rebalance_timeout_s,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=3.0,
        stream_wait_empty=True,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        topic_allow_declare=True,
        datadir=str(settings.data_dir),
        store="memory://",
        web_enabled=False,  # faust's pages serve table contents; ours: worker/http.py
    )
    app.drain_timeout_s = settings.shutdown_timeout_s
    wiring = Wiring(app=app)
    halt = IntakeHalt(telemetry.metrics)
    sender = FaustSender(app)
    topics = settings.topics

    async def refetch(topic: str, partition: int, start: int, end: int) -> list[Any]:
        return await read_range(settings, topic, partition, start, end)

    async def on_assigned(sender: Any, *args: Any, **kwargs: Any) -> None:
        assigned = args[0] if args else kwargs.get("assigned", ())
        # The consumer restarts these from their committed offsets.
        positions = [(tp.topic, tp.partition) for tp in assigned]
        for made in wiring.runners.values():
            made.reset_positions(positions)

    # faust's Signal.connect stub wants a keyword-only ``signal``; it passes one at run time.
    cast(Any, app.on_partitions_assigned).connect(on_assigned)

    def runner(
        stage: str,
        window: int,
        handler: Callable[[Inbound], Any],
        trace_parent: TraceParent | None = None,
    ) -> StageRunner:
        made = StageRunner(
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
            refetch=refetch,
            halt=halt,
        )
        wiring.runners[f"{stage}:{handler.__name__}"] = made
        return made

    def agent(topic_name: str, name: str, stage_runner: StageRunner) -> None:
        topic = app.topic(topic_name, key_type=bytes, value_type=bytes)
        wiring.source_topics.add(topic_name)

        async def consume(stream: faust.StreamT[bytes]) -> None:
            # faust's StreamT stub lacks noack(); the concrete Stream has it.
            await stage_runner.consume(cast(Any, stream).noack().events())

        consume.__name__ = name
        app.agent(topic, name=name)(consume)

    api_key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else None
    prices = settings.price_table()

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
        triage = TriageStage(cached(triage_judge, verdicts), policies, topics)
        agent(
            topics.requests,
            "triage",
            runner("triage", settings.triage.max_in_flight, triage.handle),
        )
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
        review_judge = cached(review_judge, verdicts if cache_settings.review else None)
        review = ReviewStage(review_judge, policies, topics)
        agent(
            topics.review, "review", runner("review", settings.review.max_in_flight, review.handle)
        )
    if Stage.FINALIZE in settings.stages:
        table = app.Table(
            "open-tasks",
            schema=faust.Schema(key_type=str, key_serializer="raw", value_serializer="json"),
            partitions=settings.topic_partitions,
            # Writes happen in the runner's tasks, not in the agent's own iteration, so the
            # changelog partition comes from the key (content_id), like the source topics'.
            use_partitioner=True,
        )
        finalize = FinalizeStage(table, topics, deadline_hours=settings.human_review_deadline_h)
        window = settings.finalize.max_in_flight
        # Registering a task and answering a decision for the same item must not interleave, so
        # both agents run one item at a time per worker; finalize does no slow I/O.
        agent(topics.human_review, "finalize-tasks", runner("finalize", 1, finalize.handle_task))
        decisions = runner("finalize", window, finalize.handle_decision, finalize.trace_parent)
        agent(topics.human_decisions, "finalize", decisions)
    app.runners = list(wiring.runners.values())

    async def audit_offsets() -> None:
        # faust keeps committed offsets privately; there is no public getter.
        committed = dict(getattr(app.consumer, "_committed_offset", {}))
        positions = {(tp.topic, tp.partition): o for tp, o in committed.items() if o is not None}
        for made in wiring.runners.values():
            await made.audit(positions)

    cast(Any, app).timer(5.0)(audit_offsets)  # faust's decorator is untyped

    ready_since: dict[str, float] = {}

    def stalled() -> str | None:
        """Input is waiting, nothing is in flight and nothing moved for ``stall_after_s``:
        the consumer stopped delivering (seen with faust after some rebalances). Liveness
        fails so the orchestrator restarts the worker, which resumes from committed offsets."""
        runners = list(wiring.runners.values())
        ready, _ = readiness(app)
        if not ready:  # waiting for a rebalance is not a stall
            ready_since.clear()
            return None
        now = time.monotonic()
        since = ready_since.setdefault("at", now)
        if not runners or any(r.in_flight for r in runners):
            return None
        idle = now - max(since, *(r.last_activity for r in runners))
        if idle < settings.stall_after_s:
            return None
        waiting = sum(p.lag for p in consumer_lag(app, settings.group_id, sources))
        return f"{waiting} records wait, no progress for {idle:.0f}s" if waiting else None

    serve_health(app, settings, telemetry, halt, stalled)
    if isinstance(policies, LivePolicies):
        app.add_dependency(PolicyWatchService(policies, settings.policy_reload_interval_s))
    sources = frozenset(wiring.source_topics)
    telemetry.metrics.register_lag_source(lambda: consumer_lag(app, settings.group_id, sources))
    return wiring


def consumer_lag(
    app: faust.App, group: str, topics: Collection[str] | None = None
) -> list[PartitionLag]:
    """Log-end offset minus committed offset for each assigned partition of ``topics``.

    Table changelog partitions are assigned too, but the group never commits offsets for them
    (faust replays them into its tables), so their "lag" would only grow: pass the stages'
    source topics to leave them out.
    """
    try:
        consumer = app.consumer
        assignment = consumer.assignment()
    except Exception:  # not started yet, or shutting down: no figures, not an error
        return []
    lags: list[PartitionLag] = []
    for tp in assignment:
        if topics is not None and tp.topic not in topics:
            continue
        highwater = consumer.highwater(tp)
        # faust keeps committed offsets privately; there is no public getter.
        committed = getattr(consumer, "_committed_offset", {}).get(tp)
        if highwater is None:
            continue
        lags.append(
            PartitionLag(tp.topic, tp.partition, group, max(0, highwater - (committed or 0)))
        )
    return lags
