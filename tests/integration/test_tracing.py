"""One trace per item across every hop, with latency and cost, proven on the real worker.

One worker process (all three stages) runs every route once against the test broker and the
simulated API; the module fixture then scrapes ``/metrics``, stops the worker with SIGTERM (which
flushes its spans) and reads the JSON-lines trace file the worker wrote through the same SDK
exporter pipeline that feeds OTLP. Each test checks one route's span tree, attributes and cost.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from moderation.telemetry.records import JsonAttribute, SpanRecord, read_records
from moderation.telemetry.waterfall import render, traces_for
from tests.integration.pipeline_harness import (
    Outcomes,
    Pipeline,
    Worker,
    collect,
    publish,
    request,
    text_token,
    topic_names,
)

MARK = f"quokka-{text_token(12)}"
"""A distinctive word in every item's text: it must never reach a span, the trace file or
a metric."""

HAIKU, SONNET = "claude-haiku-4-5", "claude-sonnet-4-6"
UPSTREAM_TRACE = uuid.uuid4().hex
UPSTREAM_SPAN = uuid.uuid4().hex[:16]

ROUTES = {
    "haiku-allows": f"A calm note about tomato seedlings {MARK}",
    "sonnet-clears": f"[[sim: haiku=flag:harassment:medium; sonnet=allow]] a tease {MARK}",
    "human-lookup": f"[[sim: all=flag:violence:high]] a threat {MARK}",
    "human-echo": f"[[sim: all=flag:hate:medium:0.7]] a borderline joke {MARK}",
    "haiku-down": f"[[sim: haiku=status:529; sonnet=allow]] anything {MARK}",
}
# Same text as "haiku-allows": the verdict cache answers, so there is no LLM call and no cost.
CACHE_HIT = ("cache-hit", ROUTES["haiku-allows"])
UPSTREAM = ("from-upstream", f"[[sim: haiku=flag:harassment:medium; sonnet=allow]] hey {MARK}")
REVIEWER = {"human-lookup": "remove", "human-echo": "allow", "haiku-down": "allow"}
ECHO = {"human-echo"}
# Invalid input: not JSON at all, and JSON that names the item but misses submitted_at.
BROKEN = ("broken-json", f'{{"content_id": "broken-json", "text": "{MARK}'.encode())
INCOMPLETE = (
    "incomplete",
    json.dumps({"content_id": "incomplete", "tenant_id": "acme", "text": MARK}).encode(),
)
BROKEN_RECORD = (BROKEN[0].encode(), BROKEN[1])
INCOMPLETE_RECORD = (INCOMPLETE[0].encode(), INCOMPLETE[1])
FINALS = [*ROUTES, UPSTREAM[0], INCOMPLETE[0], CACHE_HIT[0]]
REQUESTS = len(FINALS) + 1  # and BROKEN


@dataclass
class Run:
    """What one worker run left behind."""

    pipeline: Pipeline
    outcomes: Outcomes
    spans: list[SpanRecord]
    trace_file_text: str
    metrics_text: str

    def trace(self, trace_id: str) -> list[SpanRecord]:
        return [span for span in self.spans if span["trace_id"] == trace_id]

    def final(self, content_id: str) -> dict[str, Any]:
        made = self.outcomes.final(content_id)
        assert made is not None, content_id
        return made


@pytest.fixture(scope="module")
def run(kafka_bootstrap: str, sim_url: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    suffix = uuid.uuid4().hex[:10]
    pipeline = Pipeline(
        bootstrap=kafka_bootstrap,
        sim_url=sim_url,
        topics=topic_names(suffix),
        app_id=f"it-trace-{suffix}",
        workdir=tmp_path_factory.mktemp("tracing"),
    )
    try:
        worker = pipeline.worker(OTEL_BSP_SCHEDULE_DELAY="200").start()
        outcomes = asyncio.run(_traffic(pipeline))
        metrics_text = _settled_metrics(worker)
        (pipeline.workdir / "metrics.txt").write_text(metrics_text)  # kept for debugging
        assert worker.stop() == 0, worker.log_tail()
    finally:
        pipeline.stop_all()
    trace_file = pipeline.workdir / "traces.jsonl"
    return Run(
        pipeline,
        outcomes,
        list(read_records(trace_file)),
        trace_file.read_text("utf-8"),
        metrics_text,
    )


def _settled_metrics(worker: Worker, timeout: float = 15.0) -> str:
    """The scrape page once every consumer-lag sample is 0 (offsets committed), or the last."""
    deadline = time.monotonic() + timeout
    while True:
        page = worker.metrics()
        lags = [
            sample.value
            for family in text_string_to_metric_families(page)
            if family.name == "moderation_consumer_lag"
            for sample in family.samples
        ]
        if (lags and not any(lags)) or time.monotonic() > deadline:
            return page
        time.sleep(0.5)


async def _traffic(pipeline: Pipeline) -> Outcomes:
    topic = pipeline.topics.requests
    await publish(
        pipeline.bootstrap,
        topic,
        [*(request(cid, text) for cid, text in ROUTES.items()), BROKEN_RECORD, INCOMPLETE_RECORD],
    )
    # After its twin, so the twin's verdict is cached (or still in flight and shared).
    await publish(pipeline.bootstrap, topic, [request(*CACHE_HIT)])
    upstream = [("traceparent", f"00-{UPSTREAM_TRACE}-{UPSTREAM_SPAN}-01".encode())]
    await publish(pipeline.bootstrap, topic, [request(*UPSTREAM)], headers=upstream)

    def done(outcomes: Outcomes) -> bool:
        return all(outcomes.final(cid) for cid in FINALS) and bool(
            outcomes.dead_letter_for(BROKEN[0])
        )

    return await collect(
        pipeline.bootstrap, pipeline.topics, done, 60, reviewer=REVIEWER, echo_trace=ECHO
    )


# --- the span tree -----------------------------------------------------------------------------

Tree = tuple[str, str, tuple[Any, ...]]
"""(name with the logical topic name, span kind, sorted children)."""


def node(name: str, kind: str, *children: Tree) -> Tree:
    return (name, kind, tuple(sorted(children)))


def process(topic: str, *children: Tree) -> Tree:
    return node(f"process {topic}", "CONSUMER", *children)


def send(topic: str, *children: Tree) -> Tree:
    return node(f"send {topic}", "PRODUCER", *children)


def chat(model: str) -> Tree:
    return node(f"chat {model}", "CLIENT")


def shape(
    run: Run, spans: list[SpanRecord], root: SpanRecord | None = None, prune: str = ""
) -> Tree:
    """The trace (or the subtree under ``root``) as a tree of logical names; exactly one root is
    expected. Nodes labelled ``prune`` keep no children (their subtree is checked elsewhere)."""
    logical = {real: name for name, real in run.pipeline.topics.model_dump().items()}
    ids = {span["span_id"] for span in spans}
    children: dict[str | None, list[SpanRecord]] = defaultdict(list)
    for span in spans:
        parent = span["parent_span_id"]
        children[parent if parent in ids else None].append(span)

    def build(span: SpanRecord) -> Tree:
        verb, _, target = span["name"].partition(" ")
        label = f"{verb} {logical.get(target, target)}"
        below = () if label == prune else children[span["span_id"]]
        return node(label, span["kind"], *(build(child) for child in below))

    if root is not None:
        return build(root)
    roots = children[None]
    assert len(roots) == 1, [span["name"] for span in roots]
    return build(roots[0])


# Below the send that published a human-review task, the tree depends on which of the task and
# the reviewer's answer reached finalize first (they are re-keyed independently): the exact
# route shapes prune it, and the human-route test picks the one expected for the order seen.
TASK_SENT = "send human_review"
HUMAN = send("human_review")
EXPECTED = {
    "haiku-allows": process("requests", chat(HAIKU), send("decisions")),
    "sonnet-clears": process(
        "requests",
        chat(HAIKU),
        send("decisions"),
        send("review", process("review", chat(SONNET), send("decisions"))),
    ),
    "human-lookup": process(
        "requests",
        chat(HAIKU),
        send("decisions"),
        send("review", process("review", chat(SONNET), HUMAN)),
    ),
    "human-echo": process(
        "requests",
        chat(HAIKU),
        send("decisions"),
        send("review", process("review", chat(SONNET), HUMAN)),
    ),
    "haiku-down": process("requests", chat(HAIKU), send("decisions"), HUMAN),
    UPSTREAM[0]: process(
        "requests",
        chat(HAIKU),
        send("decisions"),
        send("review", process("review", chat(SONNET), send("decisions"))),
    ),
    INCOMPLETE[0]: process("requests", send("deadletter"), send("decisions")),
    CACHE_HIT[0]: process("requests", send("decisions")),
}

ANSWER_REKEYED = process("human_decisions", send("finalize_events"))
STATE_ONLY = process("finalize_events", send("finalize_state"))
"""Finalize kept an event without deciding: a task opened, or an answer parked."""
DECIDED = process("finalize_events", send("decisions"), send("finalize_state"))


def task_subtree(echoed: bool, parked: bool) -> Tree:
    """The send that published the task, with everything below it.

    The task is always re-keyed under it. If the task reached finalize first, the answer is
    decided as a child of this send; if the answer came first, it was parked and the task's
    own processing sends the final decision. An echoed answer's re-key hop (and its parking)
    hangs here too; a non-echoed one is in a trace of its own (:func:`answer_hop`).
    """
    if parked:
        task = process("human_review", send("finalize_events", DECIDED))
        return send("human_review", task, *((ANSWER_REKEYED, STATE_ONLY) if echoed else ()))
    task = process("human_review", send("finalize_events", STATE_ONLY))
    return send("human_review", task, DECIDED, *((ANSWER_REKEYED,) if echoed else ()))


def answer_hop(parked: bool) -> Tree:
    """The trace a non-echoed answer starts: its re-key hop (and its parking, if early)."""
    return process("human_decisions", send("finalize_events", *((STATE_ONLY,) if parked else ())))


def trace_of(run: Run, content_id: str) -> list[SpanRecord]:
    """The spans of the trace named by the item's final decision."""
    trace_id = run.final(content_id)["trace_id"]
    assert isinstance(trace_id, str)
    assert len(trace_id) == 32
    spans = run.trace(trace_id)
    assert spans, f"no spans for trace {trace_id}"
    return spans


def answer_hops(run: Run, content_id: str) -> set[str]:
    """Traces started by re-keying a reviewer's answer that carried no traceparent."""
    name = f"process {run.pipeline.topics.human_decisions}"
    return {
        s["trace_id"]
        for s in run.spans
        if s["parent_span_id"] is None
        and s["name"] == name
        and _attribute(s, "moderation.content_id") == content_id
    }


def parked(run: Run, content_id: str) -> bool:
    """Whether the reviewer's answer reached finalize before its task (and was parked)."""
    early = [
        s
        for s in run.spans
        if _attribute(s, "moderation.content_id") == content_id
        and _attribute(s, "moderation.route") == "parked"
    ]
    assert len(early) <= 1, "one answer, parked at most once"
    return bool(early)


@pytest.mark.parametrize("content_id", list(EXPECTED))
def test_each_route_is_one_trace_across_every_hop(run: Run, content_id: str) -> None:
    spans = trace_of(run, content_id)
    assert shape(run, spans, prune=TASK_SENT) == EXPECTED[content_id]
    # The item has no span in any other trace: one trace per item, every decision in it. The
    # one exception: an answer without traceparent is re-keyed in a trace of its own (before
    # finalize knows its task); what that trace holds is checked with the human routes.
    main = spans[0]["trace_id"]
    hops = answer_hops(run, content_id)
    assert len(hops) == int(content_id in REVIEWER and content_id not in ECHO)
    traces = {
        s["trace_id"] for s in run.spans if _attribute(s, "moderation.content_id") == content_id
    }
    assert traces == {main, *hops}
    assert {d["trace_id"] for d in run.outcomes.decisions[content_id]} == {main}
    # Every record written for the item carries a traceparent naming one of the trace's sends.
    sends = {s["span_id"] for s in spans if s["kind"] == "PRODUCER"}
    written = run.outcomes.traceparents[content_id]
    assert written, "outputs carry traceparent headers"
    for _topic, header in written:
        version, trace_id, parent_id, _flags = header.split("-")
        assert (version, trace_id) == ("00", main)
        assert parent_id in sends
    # Latency: every hop has a duration and no child starts before its parent.
    for trace_id in (main, *hops):
        trace = run.trace(trace_id)
        by_id = {s["span_id"]: s for s in trace}
        for span in trace:
            assert span["end_ns"] >= span["start_ns"] > 0
            parent = by_id.get(span["parent_span_id"] or "")
            if parent is not None:
                assert span["start_ns"] >= parent["start_ns"]


def test_upstream_traceparent_is_continued(run: Run) -> None:
    spans = trace_of(run, UPSTREAM[0])
    assert spans[0]["trace_id"] == UPSTREAM_TRACE
    (root,) = [s for s in spans if s["parent_span_id"] == UPSTREAM_SPAN]
    assert root["name"] == f"process {run.pipeline.topics.requests}"
    assert all(d["trace_id"] == UPSTREAM_TRACE for d in run.outcomes.decisions[UPSTREAM[0]])


def test_without_upstream_traceparent_the_first_hop_starts_the_trace(run: Run) -> None:
    spans = trace_of(run, "haiku-allows")
    roots = [s for s in spans if s["parent_span_id"] is None]
    assert [s["name"] for s in roots] == [f"process {run.pipeline.topics.requests}"]


@pytest.mark.parametrize("content_id", list(REVIEWER))
def test_the_reviewer_that_echoes_and_the_one_that_does_not_join_the_same_way(
    run: Run, content_id: str
) -> None:
    """The final decision descends from the send that published its task, echoed or not, and
    whichever of task and answer reached finalize first."""
    topics = run.pipeline.topics
    spans = trace_of(run, content_id)
    by_id = {s["span_id"]: s for s in spans}
    shape(run, spans)  # one root
    (task_sent,) = [s for s in spans if s["name"] == f"send {topics.human_review}"]

    # The send that wrote the final decision, named by the record's own traceparent.
    decided = [
        header
        for topic, header in run.outcomes.traceparents[content_id]
        if topic == topics.decisions
    ]
    made = run.outcomes.decisions[content_id]
    assert len(decided) == len(made), "every decision carries a traceparent"
    (final_header,) = [h for h, d in zip(decided, made, strict=True) if d["final"]]
    final_sent = by_id[final_header.split("-")[2]]
    assert final_sent["name"] == f"send {topics.decisions}"
    assert final_sent["attributes"]["moderation.route"] == "human"
    lineage = [final_sent]
    while (parent := by_id.get(lineage[-1]["parent_span_id"] or "")) is not None:
        lineage.append(parent)
    assert task_sent in lineage, [s["name"] for s in lineage]
    assert lineage[1]["name"] == f"process {topics.finalize_events}"

    # The task's re-key hop: process human_review -> send finalize_events -> process it.
    (rekey,) = [
        s
        for s in spans
        if s["parent_span_id"] == task_sent["span_id"]
        and s["name"] == f"process {topics.human_review}"
    ]
    (rekey_sent,) = [s for s in spans if s["parent_span_id"] == rekey["span_id"]]
    assert rekey_sent["name"] == f"send {topics.finalize_events}"
    (task_kept,) = [s for s in spans if s["parent_span_id"] == rekey_sent["span_id"]]
    assert task_kept["name"] == f"process {topics.finalize_events}"

    # The answer's re-key hop: in this trace if the reviewer echoed traceparent, else the root
    # of a trace of its own that holds nothing else (parking included, if the answer was early).
    answer_rekeyed = [s for s in spans if s["name"] == f"process {topics.human_decisions}"]
    early = parked(run, content_id)
    if content_id in ECHO:
        (rekeyed,) = answer_rekeyed
        assert rekeyed["parent_span_id"] == task_sent["span_id"]
        assert not answer_hops(run, content_id)
    else:
        assert not answer_rekeyed
        (hop,) = answer_hops(run, content_id)
        assert shape(run, run.trace(hop)) == answer_hop(early)

    # All of it, exactly, for the order in which task and answer reached finalize.
    expected = task_subtree(content_id in ECHO, early)
    assert shape(run, spans, root=task_sent) == expected, f"answer parked: {early}"


def test_invalid_input_is_traced_to_the_dead_letter(run: Run) -> None:
    topics = run.pipeline.topics
    # Not JSON: no content_id, so the trace is found by the record key.
    (root,) = [
        s
        for s in run.spans
        if s["name"] == f"process {topics.requests}"
        and s["attributes"].get("messaging.kafka.message.key") == BROKEN[0]
    ]
    spans = run.trace(root["trace_id"])
    assert shape(run, spans) == process("requests", send("deadletter"))
    assert root["attributes"]["moderation.route"] == "deadletter:invalid_json"
    (letter_trace,) = [tp for topic, tp in run.outcomes.traceparents[BROKEN[0]]]
    assert letter_trace.split("-")[1] == root["trace_id"]
    # Readable ids: the rejected decision names the trace of its dead letter.
    rejected = run.final(INCOMPLETE[0])
    assert rejected["status"] == "rejected"
    letters = [t for t, _ in run.outcomes.traceparents[INCOMPLETE[0]]]
    assert sorted(letters) == sorted([topics.deadletter, topics.decisions])


# --- attributes ---------------------------------------------------------------------------------


def _attribute(span: SpanRecord, name: str) -> JsonAttribute:
    return span["attributes"].get(name)


def _number(span: SpanRecord, name: str) -> float:
    value = span["attributes"][name]
    assert isinstance(value, int | float), (span["name"], name, value)
    assert not isinstance(value, bool)
    return float(value)


def _check_messaging(run: Run, span: SpanRecord, content_id: str, tenant: str | None) -> None:
    attributes = span["attributes"]
    operation = "process" if span["kind"] == "CONSUMER" else "send"
    topic = span["name"].partition(" ")[2]
    assert attributes["messaging.system"] == "kafka"
    assert attributes["messaging.operation.type"] == operation
    assert attributes["messaging.destination.name"] == topic
    partition = attributes["messaging.destination.partition.id"]
    assert isinstance(partition, str)
    assert partition.isdigit()
    assert int(partition) < run.pipeline.partitions
    offset = attributes["messaging.kafka.offset"]
    assert isinstance(offset, int)
    assert not isinstance(offset, bool)
    assert offset >= 0
    assert attributes["messaging.kafka.message.key"] == content_id
    assert attributes["moderation.content_id"] == content_id
    assert attributes.get("moderation.tenant_id") == tenant
    if operation == "process":
        group = attributes["messaging.consumer.group.name"]
        assert isinstance(group, str)
        assert group.startswith(run.pipeline.app_id)


def _check_chat(span: SpanRecord, content_id: str) -> None:
    attributes = span["attributes"]
    model = span["name"].removeprefix("chat ")
    assert attributes["gen_ai.provider.name"] == "anthropic"
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.request.model"] == model
    assert attributes["moderation.content_id"] == content_id
    assert str(attributes["moderation.content_hash"]).startswith("hmac-sha256:")
    if span["status"]["code"] == "ERROR":
        assert attributes["error.type"]
        assert "gen_ai.usage.cost" not in attributes
        return
    assert str(attributes["gen_ai.response.model"]).startswith(model)
    assert attributes["gen_ai.response.id"]
    assert isinstance(attributes["gen_ai.response.finish_reasons"], list)
    for name in (
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_write.input_tokens",
    ):
        assert _number(span, name) >= 0, name
        assert isinstance(attributes[name], int), name
    assert _number(span, "gen_ai.usage.input_tokens") > 0
    cost = attributes["gen_ai.usage.cost"]
    assert isinstance(cost, float)
    assert cost > 0
    assert attributes["gen_ai.usage.cost.amount"] == cost
    assert attributes["gen_ai.usage.cost.currency"] == "USD"


@pytest.mark.parametrize("content_id", [*ROUTES, UPSTREAM[0]])
def test_spans_carry_messaging_and_genai_attributes(run: Run, content_id: str) -> None:
    spans = trace_of(run, content_id)
    for hop in answer_hops(run, content_id):
        spans = [*spans, *run.trace(hop)]
    kinds: dict[str, int] = defaultdict(int)
    for span in spans:
        kinds[span["kind"]] += 1
        if span["kind"] == "CLIENT":
            _check_chat(span, content_id)
        else:
            _check_messaging(run, span, content_id, "acme")
    assert kinds["CONSUMER"]
    assert kinds["PRODUCER"]
    assert kinds["CLIENT"]
    if content_id == "haiku-down":
        (failed,) = [s for s in spans if s["status"]["code"] == "ERROR"]
        assert failed["kind"] == "CLIENT"
        # The simulated 529 by name (as on the metrics), not the gateway's wrapper exception.
        assert failed["attributes"]["error.type"] == "OverloadedError"


def test_no_span_and_no_line_of_the_trace_file_holds_content(run: Run) -> None:
    assert run.spans, "the worker wrote spans"
    assert MARK not in run.trace_file_text
    for span in run.spans:
        for value in span["attributes"].values():
            assert MARK not in json.dumps(value)


# --- cost ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_id", [*ROUTES, UPSTREAM[0], CACHE_HIT[0]])
def test_decision_cost_is_the_sum_of_its_llm_spans(run: Run, content_id: str) -> None:
    cost = run.final(content_id)["cost"]
    chats = [s for s in trace_of(run, content_id) if s["kind"] == "CLIENT"]
    priced = [s for s in chats if "gen_ai.usage.cost" in s["attributes"]]
    total = sum(_number(s, "gen_ai.usage.cost") for s in priced)
    assert cost["total_usd"] == pytest.approx(total, abs=1e-9)
    assert sum(tier["calls"] for tier in cost["tiers"]) == len(priced)
    stage_of_tier = {"haiku": "triage", "sonnet": "review"}
    for tier in cost["tiers"]:
        mine = [
            s
            for s in priced
            if s["attributes"]["moderation.stage"] == stage_of_tier[tier["tier"]]
            and s["attributes"]["gen_ai.response.model"] == tier["model"]
        ]
        assert len(mine) == tier["calls"], tier

        def summed(name: str, spans: list[SpanRecord] = mine) -> float:
            return sum(_number(s, name) for s in spans)

        assert tier["cost_usd"] == pytest.approx(summed("gen_ai.usage.cost"), abs=1e-9)
        # On the span, input tokens count cached ones too (GenAI convention for Anthropic).
        prompt = (
            tier["input_tokens"]
            + tier["cache_read_input_tokens"]
            + tier["cache_write_input_tokens"]
        )
        assert prompt == summed("gen_ai.usage.input_tokens")
        assert tier["output_tokens"] == summed("gen_ai.usage.output_tokens")
        assert tier["cache_read_input_tokens"] == summed("gen_ai.usage.cache_read.input_tokens")
        assert tier["cache_write_input_tokens"] == summed("gen_ai.usage.cache_write.input_tokens")


def test_haiku_sonnet_human_item_has_one_waterfall_with_latency_and_cost(run: Run) -> None:
    """The issue's "done when": one trace for Haiku -> Sonnet -> human -> final."""
    final = run.final("human-lookup")
    assert {tier["tier"] for tier in final["cost"]["tiers"]} == {"haiku", "sonnet"}
    views = traces_for(run.spans, "human-lookup")
    (view,) = [v for v in views if v.trace_id == final["trace_id"]]
    # The reviewer's answer carried no traceparent: its re-key hop (before finalize knew its
    # task) is the only other trace of the item, with no LLM call and no cost.
    (hop,) = [v for v in views if v is not view]
    assert shape(run, run.trace(hop.trace_id)) == answer_hop(parked(run, "human-lookup"))
    assert not hop.llm_calls
    assert hop.cost_usd == 0
    assert view.duration_ns > 0
    assert len(view.llm_calls) == 2
    assert float(view.cost_usd) == pytest.approx(final["cost"]["total_usd"], abs=1e-9)
    text = render([view], "human-lookup")
    assert f"${final['cost']['total_usd']:.6f}" in text.splitlines()[-1]
    assert MARK not in text


# --- metrics ------------------------------------------------------------------------------------


def _samples(run: Run) -> dict[str, list[Sample]]:
    found: dict[str, list[Sample]] = defaultdict(list)
    for family in text_string_to_metric_families(run.metrics_text):
        found[family.name].extend(family.samples)
    return found


def test_metrics_page_has_every_family_with_sensible_labels(run: Run) -> None:
    samples = _samples(run)
    items = samples["moderation_items"]
    stages = {s.labels["moderation_stage"] for s in items}
    assert stages == {"triage", "review", "finalize"}
    assert {"moderation_route", "moderation_status"} <= set(items[0].labels)
    statuses = {s.labels["moderation_status"] for s in items}
    assert {"allowed", "removed", "pending_review", "rejected"} <= statuses
    # One count per item and stage, however many records the item produced.
    by_stage: dict[str, float] = defaultdict(float)
    for sample in items:
        if sample.name == "moderation_items_total":
            by_stage[sample.labels["moderation_stage"]] += sample.value
    assert by_stage["triage"] == REQUESTS
    assert by_stage["review"] == 4  # sonnet-clears, both human items, from-upstream

    latency = [
        s for s in samples["gen_ai_client_operation_duration_seconds"] if s.name.endswith("_count")
    ]
    models = {s.labels["gen_ai_request_model"] for s in latency}
    assert models == {HAIKU, SONNET}
    assert sum(s.value for s in latency) >= 9  # at least one call per LLM hop above

    tokens = samples["moderation_llm_tokens"]
    assert {s.labels["gen_ai_token_type"] for s in tokens} >= {"input", "output"}

    cost = [s for s in samples["moderation_llm_cost_usd"] if s.name.endswith("_total")]
    assert {(s.labels["moderation_tenant_id"], s.labels["moderation_stage"]) for s in cost} == {
        ("acme", "triage"),
        ("acme", "review"),
    }
    decided = [run.final(cid)["cost"]["total_usd"] for cid in [*ROUTES, UPSTREAM[0]]]
    assert sum(s.value for s in cost) >= sum(decided) - 1e-9

    in_flight = samples["moderation_llm_in_flight"]
    assert in_flight
    assert all(s.value == 0 for s in in_flight), "no call left in flight"

    errors = samples["moderation_errors"]
    assert {(s.labels["error_type"], s.labels["moderation_stage"]) for s in errors} == {
        ("OverloadedError", "triage")
    }

    # Lag covers the topics the stages consume, finalize's internal events included (not its
    # state topic, only read back on assignment), and drains to 0 once the worker has
    # committed what it finished.
    lag = samples["moderation_consumer_lag"]
    topics = run.pipeline.topics
    sources = {
        topics.requests,
        topics.review,
        topics.human_review,
        topics.human_decisions,
        topics.finalize_events,
    }
    assert {s.labels["messaging_destination_name"] for s in lag} == sources
    partitions = {s.labels["messaging_destination_partition_id"] for s in lag}
    assert partitions == {str(p) for p in range(run.pipeline.partitions)}
    for sample in lag:
        assert sample.labels["messaging_consumer_group_name"].startswith(run.pipeline.app_id)
        assert sample.value == 0, sample


def test_no_metric_label_holds_content(run: Run) -> None:
    assert MARK not in run.metrics_text
    for family_samples in _samples(run).values():
        for sample in family_samples:
            assert all(MARK not in value for value in sample.labels.values())
