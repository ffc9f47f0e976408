"""The whole span tree of one item in process, with the in-memory span exporter.

The real stages, StageRunners, LLM gateway and telemetry run against the simulated API (a real
local HTTP server); only Kafka is replaced by a loopback that keeps each produced record, with
the headers the runner gave it, for the next stage's runner. Haiku flags, Sonnet confirms, the
task is re-keyed onto finalize's events topic, a reviewer answers without echoing
``traceparent``, finalize decides: every hop of the item is in one trace. The only span outside
it is the re-key of the answer, which carries no trace of its own to continue.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from moderation.llm.classify import Classifier
from moderation.llm.gateway import ModelGateway, Resilience, build_client
from moderation.llm.judge import TierConfig
from moderation.policy import PolicyBook
from moderation.settings import ReviewTier, TopicNames, TriageTier
from moderation.stages.deadletters import failure_handler
from moderation.stages.finalize import FinalizeIntake, FinalizeStage, FinalizeStore
from moderation.stages.review import ReviewStage
from moderation.stages.triage import TriageStage
from moderation.streaming.records import Headers, Inbound, Outbound
from moderation.streaming.runner import Handler, RunnerConfig, StageRunner, TraceParent
from moderation.telemetry import Telemetry, setup_for_tests
from moderation.telemetry.records import SpanRecord, span_record
from moderation_contracts import HumanDecision, ModerationRequest, Tier, dump_payload
from moderation_dev.simulator.config import SimConfig
from moderation_dev.simulator.testing import running_simulator

MARK = "in-process-wombat-5821"
TEXT = f"[[sim: all=flag:violence:high]] a threat with {MARK}"
TOPICS = TopicNames()


@dataclass
class Loopback:
    """Stands in for the broker: keeps every record with the headers it was sent with."""

    logs: dict[str, list[Inbound]] = field(default_factory=lambda: defaultdict(list))

    async def send(self, record: Outbound, headers: Headers) -> tuple[int, int]:
        log = self.logs[record.topic]
        log.append(Inbound(record.topic, 0, len(log), record.key, record.value, headers))
        return 0, len(log) - 1

    def only(self, topic: str) -> Inbound:
        (message,) = self.logs[topic]
        return message

    def last(self, topic: str) -> Inbound:
        return self.logs[topic][-1]


async def _deliver(runner: StageRunner, message: Inbound) -> None:
    assert await runner.submit(message)
    assert await runner.drain(10.0) == 0
    assert runner.committable()[(message.topic, message.partition)] == message.offset + 1


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def telemetry(spans: InMemorySpanExporter) -> Iterator[Telemetry]:
    made = setup_for_tests(spans)
    yield made
    made.shutdown()


Tree = tuple[str, str, tuple[Any, ...]]


def _trees(records: list[SpanRecord]) -> dict[str, Tree]:
    """Per trace id, nested (name, kind, children) from its root; names keep the topic names."""
    children: dict[str | None, list[SpanRecord]] = defaultdict(list)
    for record in records:
        children[record["parent_span_id"]].append(record)

    def build(record: SpanRecord) -> Tree:
        below = sorted(build(child) for child in children[record["span_id"]])
        return (record["name"], record["kind"], tuple(below))

    roots = children[None]
    assert len({root["trace_id"] for root in roots}) == len(roots), "one root per trace"
    return {root["trace_id"]: build(root) for root in roots}


async def test_every_hop_of_an_item_from_haiku_to_its_human_decision_is_in_one_trace(
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
        rekey = FinalizeIntake(TOPICS)
        finalize = FinalizeStage(FinalizeStore(TOPICS), TOPICS)
        # As the worker wires them: a runner per input topic.
        rekey_tasks = runner("finalize", rekey.handle)
        rekey_answers = runner("finalize", rekey.handle)
        decide = runner("finalize", finalize.handle, finalize.trace_parent)
        item = ModerationRequest(
            content_id="post-1", tenant_id="acme", text=TEXT, submitted_at=datetime.now(UTC)
        )
        request = Inbound(TOPICS.requests, 0, 0, b"post-1", dump_payload(item))
        await _deliver(runner("triage", triage.handle), request)
        await _deliver(runner("review", review.handle), loop.only(TOPICS.review))
        task = loop.only(TOPICS.human_review)
        await _deliver(rekey_tasks, task)
        await _deliver(decide, loop.last(TOPICS.finalize_events))
        answer = HumanDecision(
            content_id="post-1",
            tenant_id="acme",
            task_id=json.loads(task.value or b"{}")["task_id"],
            reviewer_id="r1",
            action="allow",
        )
        # The reviewer tool sends no headers at all.
        decided = Inbound(TOPICS.human_decisions, 0, 0, b"post-1", dump_payload(answer))
        await _deliver(rekey_answers, decided)
        answer_event = loop.last(TOPICS.finalize_events)
        await _deliver(decide, answer_event)

    records = [span_record(span) for span in spans.get_finished_spans()]
    trees = _trees(records)
    (trace_id,) = [tid for tid, tree in trees.items() if tree[0] == f"process {TOPICS.requests}"]
    t = TOPICS
    rekeyed = (f"send {t.finalize_events}", "PRODUCER", ())
    to_human = (
        f"send {t.human_review}",
        "PRODUCER",
        (
            # The answer carried no traceparent: its event continues the trace of its task,
            # as a child of the send that published the task.
            (
                f"process {t.finalize_events}",
                "CONSUMER",
                (
                    (f"send {t.decisions}", "PRODUCER", ()),
                    (f"send {t.finalize_state}", "PRODUCER", ()),
                ),
            ),
            # The task goes through the re-key hop like any record.
            (
                f"process {t.human_review}",
                "CONSUMER",
                (
                    (
                        f"send {t.finalize_events}",
                        "PRODUCER",
                        (
                            (
                                f"process {t.finalize_events}",
                                "CONSUMER",
                                ((f"send {t.finalize_state}", "PRODUCER", ()),),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    )
    assert trees.pop(trace_id) == (
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
    # The re-key of the header-less answer had no trace to continue: its own, two spans.
    (answer_trace,) = trees
    assert trees[answer_trace] == (f"process {t.human_decisions}", "CONSUMER", (rekeyed,))
    # Both decisions name the item's trace; the final one carries the cost of both LLM spans.
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
    # Every record sent carries a traceparent naming the item's trace, but the answer's event.
    for log in loop.logs.values():
        for message in log:
            (header,) = [v.decode() for k, v in message.headers if k == "traceparent"]
            expected = answer_trace if message is answer_event else trace_id
            assert header.split("-")[1] == expected, message.where
    assert MARK not in json.dumps(records)
