"""The whole span tree of one item in process, with the in-memory span exporter.

The real stages, StageRunners, LLM gateway and telemetry run against the simulated API (a real
local HTTP server); only Kafka is replaced by a loopback that hands each produced record, with
the headers the runner gave it, to the next stage's runner. Haiku flags, Sonnet confirms, a
reviewer answers without echoing ``traceparent``, finalize decides: one trace, every hop.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from moderation.llm.classify import Classifier, TierConfig
from moderation.llm.gateway import ModelGateway, Resilience, build_client
from moderation.policy import PolicyBook
from moderation.settings import ReviewTier, TopicNames, TriageTier
from moderation.simulator.config import SimConfig
from moderation.simulator.testing import running_simulator
from moderation.stages.common import failure_handler
from moderation.stages.finalize import FinalizeStage
from moderation.stages.review import ReviewStage
from moderation.stages.triage import TriageStage
from moderation.streaming.records import Headers, Outbound
from moderation.streaming.runner import Handler, RunnerConfig, StageRunner, TraceParent
from moderation.telemetry import Telemetry, setup_for_tests
from moderation.telemetry.records import SpanRecord, span_record
from moderation_contracts import HumanDecision, ModerationRequest, Tier, dump_payload

MARK = "in-process-wombat-5821"
TEXT = f"[[sim: all=flag:violence:high]] a threat with {MARK}"
TOPICS = TopicNames()


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    timestamp: float | None = None


@dataclass
class Event:
    message: Message

    def ack(self) -> bool:
        return True


@dataclass
class Loopback:
    """Stands in for the broker: keeps every record with the headers it was sent with."""

    logs: dict[str, list[Message]] = field(default_factory=lambda: defaultdict(list))

    async def send(self, record: Outbound, headers: Headers) -> tuple[int, int]:
        log = self.logs[record.topic]
        log.append(Message(record.topic, 0, len(log), record.key, record.value, list(headers)))
        return 0, len(log) - 1

    def only(self, topic: str) -> Message:
        (message,) = self.logs[topic]
        return message


async def _one(message: Message) -> AsyncIterator[Event]:
    yield Event(message)


async def _deliver(runner: StageRunner, message: Message) -> None:
    await runner.consume(_one(message))
    assert await runner.drain(10.0) == 0


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def telemetry(spans: InMemorySpanExporter) -> Iterator[Telemetry]:
    made = setup_for_tests(spans)
    yield made
    made.shutdown()


Tree = tuple[str, str, tuple[Any, ...]]


def _tree(records: list[SpanRecord]) -> Tree:
    """Nested (name, kind, children) from the root; names keep the real topic names."""
    children: dict[str | None, list[SpanRecord]] = defaultdict(list)
    for record in records:
        children[record["parent_span_id"]].append(record)

    def build(record: SpanRecord) -> Tree:
        below = sorted(build(child) for child in children[record["span_id"]])
        return (record["name"], record["kind"], tuple(below))

    (root,) = children[None]
    return build(root)


async def test_haiku_sonnet_human_final_is_one_span_tree(
    telemetry: Telemetry, spans: InMemorySpanExporter
) -> None:
    policies = PolicyBook.load()
    loop = Loopback()
    async with running_simulator(SimConfig.instant()) as sim:

        def classifier(tier: Tier, config: TriageTier | ReviewTier) -> Classifier:
            client = build_client("sk-test", sim.base_url, timeout_s=config.timeout_s)
            gateway = ModelGateway(
                client,
                telemetry.tracer,
                metrics=telemetry.metrics,
                resilience=Resilience.of(config),
            )
            return Classifier(gateway, TierConfig(tier, config.model, config.max_tokens))

        def runner(
            stage: str, handler: Handler, trace_parent: TraceParent | None = None
        ) -> StageRunner:
            return StageRunner(
                RunnerConfig(stage=stage, group="in-process", window=4, item_deadline_s=30.0),
                handler,
                failure_handler(TOPICS, stage),
                loop,
                telemetry.tracer,
                telemetry.metrics,
                trace_parent,
            )

        triage = TriageStage(classifier(Tier.HAIKU, TriageTier()), policies, TOPICS)
        review = ReviewStage(classifier(Tier.SONNET, ReviewTier()), policies, TOPICS)
        finalize = FinalizeStage({}, TOPICS)
        item = ModerationRequest(
            content_id="post-1", tenant_id="acme", text=TEXT, submitted_at=datetime.now(UTC)
        )
        request = Message(TOPICS.requests, 0, 0, b"post-1", dump_payload(item))
        await _deliver(runner("triage", triage.handle), request)
        await _deliver(runner("review", review.handle), loop.only(TOPICS.review))
        task = loop.only(TOPICS.human_review)
        await _deliver(runner("finalize", finalize.handle_task), task)
        answer = HumanDecision(
            content_id="post-1",
            tenant_id="acme",
            task_id=json.loads(task.value or b"{}")["task_id"],
            reviewer_id="r1",
            action="allow",
        )
        decided = Message(TOPICS.human_decisions, 0, 0, b"post-1", dump_payload(answer))
        finals = runner("finalize", finalize.handle_decision, finalize.trace_parent)
        await _deliver(finals, decided)

    records = [span_record(span) for span in spans.get_finished_spans()]
    assert len({record["trace_id"] for record in records}) == 1
    trace_id = records[0]["trace_id"]
    t = TOPICS
    to_human = (
        f"send {t.human_review}",
        "PRODUCER",
        (
            (
                f"process {t.human_decisions}",
                "CONSUMER",
                ((f"send {t.decisions}", "PRODUCER", ()),),
            ),
            (f"process {t.human_review}", "CONSUMER", ()),
        ),
    )
    assert _tree(records) == (
        f"process {t.requests}",
        "CONSUMER",
        (
            ("chat claude-haiku-4-5", "CLIENT", ()),
            (f"send {t.decisions}", "PRODUCER", ()),
            (
                f"send {t.review}",
                "PRODUCER",
                (
                    (
                        f"process {t.review}",
                        "CONSUMER",
                        (("chat claude-sonnet-4-6", "CLIENT", ()), to_human),
                    ),
                ),
            ),
        ),
    )
    # Both decisions name the trace; the final one carries the cost of both LLM spans.
    pending, final = (json.loads(m.value or b"{}") for m in loop.logs[t.decisions])
    assert (pending["status"], final["status"]) == ("pending_review", "allowed")
    assert pending["trace_id"] == final["trace_id"] == trace_id
    chat_costs = [
        float(r["attributes"]["gen_ai.usage.cost"])  # type: ignore[arg-type]
        for r in records
        if r["kind"] == "CLIENT"
    ]
    assert len(chat_costs) == 2
    assert final["cost"]["total_usd"] == pytest.approx(sum(chat_costs), abs=1e-9)
    # Every record sent downstream carries a traceparent naming this trace.
    for log in loop.logs.values():
        for message in log:
            (header,) = [v.decode() for k, v in message.headers if k == "traceparent"]
            assert header.split("-")[1] == trace_id
    assert MARK not in json.dumps(records)
