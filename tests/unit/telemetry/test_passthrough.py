"""With no span exporter the worker's tracer records nothing but still carries trace context."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from moderation.telemetry import setup_for_tests
from moderation.telemetry.kafka import consume_span, produce_span
from moderation.telemetry.passthrough import PassThroughTracer

UPSTREAM = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
UNSAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"


def _forwarded(incoming: list[tuple[str, bytes]]) -> dict[str, bytes]:
    tracer = PassThroughTracer()
    with (
        consume_span(tracer, "in", 0, 7, b"k", "g", incoming, content_id="c1") as span,
        produce_span(tracer, "out", b"k", content_id="c1") as sent,
    ):
        assert not span.is_recording()
        headers = dict(sent.headers)
    assert not trace.get_current_span().get_span_context().is_valid, "context restored"
    return headers


def test_an_upstream_trace_is_forwarded_unchanged() -> None:
    headers = _forwarded([("traceparent", UPSTREAM.encode()), ("tracestate", b"vendor=1")])
    assert headers == {"traceparent": UPSTREAM.encode(), "tracestate": b"vendor=1"}


def test_an_unsampled_upstream_stays_unsampled() -> None:
    assert _forwarded([("traceparent", UNSAMPLED.encode())])["traceparent"] == UNSAMPLED.encode()


def test_an_item_without_a_trace_starts_one_sampled() -> None:
    first = _forwarded([])["traceparent"].decode().split("-")
    second = _forwarded([])["traceparent"].decode().split("-")
    assert first[0] == "00"
    assert first[3] == "01"
    assert len(first[1]) == 32
    assert int(first[1], 16) != 0
    assert first[1] != second[1]


def test_telemetry_without_exporter_only_propagates() -> None:
    quiet = setup_for_tests()
    recording = setup_for_tests(InMemorySpanExporter())
    try:
        assert isinstance(quiet.tracer, PassThroughTracer)
        assert not quiet.records_spans
        assert recording.records_spans
        assert not isinstance(recording.tracer, PassThroughTracer)
    finally:
        quiet.shutdown()
        recording.shutdown()
