"""Span helpers: names, kinds, attributes and parentage across a Kafka hop (in-memory export)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from moderation.pricing import TokenUsage
from moderation.telemetry import Telemetry, content_hash, setup_for_tests
from moderation.telemetry.genai import llm_span
from moderation.telemetry.kafka import (
    consume_span,
    extract_context,
    inject_headers,
    produce_span,
    with_trace_headers,
)

SECRET_TEXT = "buy cheap pills at example.test, call 555-0100"
UPSTREAM = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _by_name(spans: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    finished = spans.get_finished_spans()
    named = {span.name: span for span in finished}
    assert len(named) == len(finished), "span names are unique in these tests"
    return named


def test_consumer_continues_upstream_trace(
    telemetry: Telemetry, spans: InMemorySpanExporter
) -> None:
    headers = [("traceparent", UPSTREAM.encode()), ("tracestate", b"vendor=1")]
    with consume_span(
        telemetry.tracer,
        "moderation.requests.v1",
        partition=3,
        offset=41,
        key=b"post-1",
        group="moderation-triage",
        headers=headers,
        content_id="post-1",
        tenant_id="acme",
        stage="triage",
        content_hash=content_hash(SECRET_TEXT),
    ):
        pass
    (span,) = spans.get_finished_spans()
    assert span.name == "process moderation.requests.v1"
    assert span.kind is SpanKind.CONSUMER
    assert span.context is not None
    assert span.parent is not None
    assert f"{span.context.trace_id:032x}" == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert f"{span.parent.span_id:016x}" == "00f067aa0ba902b7"
    assert span.parent.is_remote
    assert span.context.trace_state.get("vendor") == "1"
    assert dict(span.attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": "moderation.requests.v1",
        "messaging.destination.partition.id": "3",
        "messaging.kafka.offset": 41,
        "messaging.kafka.message.key": "post-1",
        "messaging.consumer.group.name": "moderation-triage",
        "moderation.content_id": "post-1",
        "moderation.tenant_id": "acme",
        "moderation.stage": "triage",
        "moderation.content_hash": content_hash(SECRET_TEXT),
    }


def test_consumer_starts_a_new_trace_without_headers(
    telemetry: Telemetry, spans: InMemorySpanExporter
) -> None:
    for headers in (None, [], {"other": b"x"}, [("traceparent", b"garbage")]):
        with consume_span(telemetry.tracer, "t", 0, 0, None, None, headers):
            pass
    finished = spans.get_finished_spans()
    assert len(finished) == 4
    assert all(span.parent is None for span in finished)
    assert len({span.context.trace_id for span in finished if span.context}) == 4


def test_one_trace_across_two_hops_with_llm_call(
    telemetry: Telemetry, spans: InMemorySpanExporter
) -> None:
    """triage consumes, calls Haiku, produces; review consumes those headers in another process."""
    review_process = setup_for_tests(spans, service_name="review")
    with consume_span(
        telemetry.tracer, "requests", 0, 7, b"c-1", "g1", {"TraceParent": UPSTREAM.encode()}
    ):
        with llm_span(
            telemetry.tracer, "claude-haiku-4-5", stage="triage", tenant_id="acme"
        ) as call:
            call.record_response(
                "claude-haiku-4-5-20251001", "msg_01", "tool_use", TokenUsage(100, 10)
            )
        with produce_span(telemetry.tracer, "sonnet-review", b"c-1", content_id="c-1") as sent:
            wire_headers = with_trace_headers(
                [("traceparent", b"stale"), ("x-app", b"1")], sent.headers
            )
            sent.delivered(partition=2, offset=99)
    with consume_span(review_process.tracer, "sonnet-review", 2, 99, b"c-1", "g2", wire_headers):
        pass
    review_process.shutdown()

    named = _by_name(spans)
    process_1 = named["process requests"]
    chat = named["chat claude-haiku-4-5"]
    send = named["send sonnet-review"]
    process_2 = named["process sonnet-review"]
    ids = {span.context.trace_id for span in named.values() if span.context}
    assert ids == {0x4BF92F3577B34DA6A3CE929D0E0E4736}
    assert chat.parent is not None
    assert process_1.context is not None
    assert chat.parent.span_id == process_1.context.span_id
    assert send.parent is not None
    assert send.parent.span_id == process_1.context.span_id
    assert process_2.parent is not None
    assert send.context is not None
    assert process_2.parent.span_id == send.context.span_id
    assert process_2.resource.attributes["service.name"] == "review"

    assert send.kind is SpanKind.PRODUCER
    assert send.attributes is not None
    assert send.attributes["messaging.operation.type"] == "send"
    assert send.attributes["messaging.destination.partition.id"] == "2"
    assert send.attributes["messaging.kafka.offset"] == 99
    assert [name for name, _ in wire_headers].count("traceparent") == 1
    assert ("x-app", b"1") in wire_headers


def test_llm_span_attributes_and_cost(telemetry: Telemetry, spans: InMemorySpanExporter) -> None:
    usage = {
        "input_tokens": 2_000,
        "output_tokens": 300,
        "cache_creation_input_tokens": 5_096,
        "cache_read_input_tokens": 10_000,
        "cache_creation": {"ephemeral_5m_input_tokens": 4_096, "ephemeral_1h_input_tokens": 1_000},
    }
    with llm_span(
        telemetry.tracer,
        "claude-haiku-4-5",
        stage="triage",
        tenant_id="acme",
        content_id="c-9",
        route="sonnet-review",
        metrics=telemetry.metrics,
    ) as call:
        cost = call.record_response("claude-haiku-4-5-20251001", "msg_abc", "end_turn", usage)
    assert cost.total_usd == Decimal("0.01162")
    (span,) = spans.get_finished_spans()
    assert span.name == "chat claude-haiku-4-5"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes or {}) == {
        "gen_ai.provider.name": "anthropic",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "claude-haiku-4-5",
        "gen_ai.response.model": "claude-haiku-4-5-20251001",
        "gen_ai.response.id": "msg_abc",
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.input_tokens": 17_096,
        "gen_ai.usage.output_tokens": 300,
        "gen_ai.usage.cache_read.input_tokens": 10_000,
        "gen_ai.usage.cache_creation.input_tokens": 5_096,
        "gen_ai.usage.cache_write.input_tokens": 5_096,
        "gen_ai.usage.cost": pytest.approx(0.01162),
        "gen_ai.usage.cost.amount": pytest.approx(0.01162),
        "gen_ai.usage.cost.currency": "USD",
        "moderation.content_id": "c-9",
        "moderation.tenant_id": "acme",
        "moderation.stage": "triage",
        "moderation.route": "sonnet-review",
    }


def test_llm_error_keeps_type_not_message(
    telemetry: Telemetry, spans: InMemorySpanExporter
) -> None:
    class OverloadedError(Exception):
        pass

    with (
        pytest.raises(OverloadedError),
        llm_span(telemetry.tracer, "claude-sonnet-4-6", stage="review", metrics=telemetry.metrics),
    ):
        raise OverloadedError(f"model said: {SECRET_TEXT}")
    with llm_span(telemetry.tracer, "claude-sonnet-4-6", stage="review") as call:
        call.record_error("invalid_output")
    failed, invalid = spans.get_finished_spans()
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.attributes is not None
    assert failed.attributes["error.type"] == "OverloadedError"
    assert not failed.events, "no exception event: its message could carry content"
    assert invalid.attributes is not None
    assert invalid.attributes["error.type"] == "invalid_output"
    assert SECRET_TEXT not in repr([s.to_json() for s in spans.get_finished_spans()])


def test_consumer_failure_is_marked_without_message(
    telemetry: Telemetry, spans: InMemorySpanExporter
) -> None:
    with (
        pytest.raises(ValueError, match="pills"),
        consume_span(telemetry.tracer, "t", 0, 1, b"k", "g", None),
    ):
        raise ValueError(SECRET_TEXT)
    (span,) = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "ValueError"
    assert SECRET_TEXT not in span.to_json()


def test_unknown_model_costs_flagged_zero(
    telemetry: Telemetry, spans: InMemorySpanExporter
) -> None:
    with llm_span(telemetry.tracer, "claude-future-9", stage="triage") as call:
        cost = call.record_response(None, "msg_x", None, TokenUsage(10, 10))
    assert not cost.priced
    (span,) = spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["moderation.cost.unpriced"] is True
    assert span.attributes["gen_ai.usage.cost"] == 0.0
    assert "gen_ai.response.finish_reasons" not in span.attributes


def test_batch_calls_are_priced_at_the_discount(
    telemetry: Telemetry, spans: InMemorySpanExporter
) -> None:
    with llm_span(telemetry.tracer, "claude-sonnet-4-6", stage="review", batch=True) as call:
        cost = call.record_response(
            "claude-sonnet-4-6", "msg_b", "end_turn", TokenUsage(1_000_000, 0)
        )
    assert cost.total_usd == Decimal("1.5")
    (span,) = spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["moderation.batch"] is True


def test_inject_uses_current_span_and_extract_round_trips(telemetry: Telemetry) -> None:
    assert inject_headers() == []  # no active span: nothing to propagate
    with telemetry.tracer.start_as_current_span("root") as root:
        headers = inject_headers()
    (name, value), *_ = headers
    assert name == "traceparent"
    restored = trace.get_current_span(extract_context(headers)).get_span_context()
    assert restored.trace_id == root.get_span_context().trace_id
    assert restored.span_id == root.get_span_context().span_id
    assert value.decode().startswith("00-")
