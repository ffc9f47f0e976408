"""OTLP/HTTP export round trip to a real local receiver that decodes the protobuf requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan

from moderation.pricing import TokenUsage
from moderation.telemetry import TelemetryConfig
from moderation.telemetry.genai import llm_span
from moderation.telemetry.kafka import consume_span, produce_span
from moderation.telemetry.runtime import build


@dataclass
class Receiver:
    url: str
    spans: list[tuple[str, ProtoSpan]] = field(default_factory=list)
    metric_names: set[str] = field(default_factory=set)
    content_types: set[str] = field(default_factory=set)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver(url="")

    async def traces(request: web.Request) -> web.Response:
        state.content_types.add(request.content_type)
        message = ExportTraceServiceRequest.FromString(await request.read())
        for resource_spans in message.resource_spans:
            service = next(
                a.value.string_value
                for a in resource_spans.resource.attributes
                if a.key == "service.name"
            )
            for scope_spans in resource_spans.scope_spans:
                state.spans.extend((service, span) for span in scope_spans.spans)
        body = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=body, content_type="application/x-protobuf")

    async def metrics(request: web.Request) -> web.Response:
        message = ExportMetricsServiceRequest.FromString(await request.read())
        for resource_metrics in message.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                state.metric_names.update(m.name for m in scope_metrics.metrics)
        body = ExportMetricsServiceResponse().SerializeToString()
        return web.Response(body=body, content_type="application/x-protobuf")

    app = web.Application()
    app.router.add_post("/v1/traces", traces)
    app.router.add_post("/v1/metrics", metrics)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.url = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


def _value(value: AnyValue) -> object:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


async def test_spans_and_metrics_arrive_over_otlp_http(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    telemetry = build(
        TelemetryConfig(
            service_name="moderation-triage", trace_exporters=("otlp",), metric_exporters=("otlp",)
        )
    )
    try:
        upstream = [("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
        with consume_span(
            telemetry.tracer, "requests", 4, 12, b"c-1", "triage", upstream, content_id="c-1"
        ):
            with llm_span(
                telemetry.tracer,
                "claude-haiku-4-5",
                stage="triage",
                tenant_id="acme",
                metrics=telemetry.metrics,
            ) as call:
                call.record_response(
                    "claude-haiku-4-5-20251001", "msg_9", "tool_use", TokenUsage(2_000, 100)
                )
            with produce_span(telemetry.tracer, "decisions", b"c-1") as sent:
                sent.delivered(4, 77)
        telemetry.metrics.item("triage", "allow", "allowed")
        # The exporters are synchronous (requests); keep the event loop free for the receiver.
        assert await asyncio.to_thread(telemetry.force_flush, 20_000)
    finally:
        await asyncio.to_thread(telemetry.shutdown)

    assert receiver.content_types == {"application/x-protobuf"}
    by_name = {span.name: (service, span) for service, span in receiver.spans}
    assert set(by_name) == {"process requests", "chat claude-haiku-4-5", "send decisions"}
    service, process = by_name["process requests"]
    _, chat = by_name["chat claude-haiku-4-5"]
    _, send = by_name["send decisions"]
    assert service == "moderation-triage"
    assert process.trace_id.hex() == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert process.parent_span_id.hex() == "00f067aa0ba902b7"
    assert chat.parent_span_id == process.span_id
    assert send.parent_span_id == process.span_id
    assert process.kind == ProtoSpan.SPAN_KIND_CONSUMER
    assert chat.kind == ProtoSpan.SPAN_KIND_CLIENT
    assert send.kind == ProtoSpan.SPAN_KIND_PRODUCER
    chat_attributes = {a.key: _value(a.value) for a in chat.attributes}
    # 2,000 x $1/M + 100 x $5/M = 0.0025
    assert chat_attributes["gen_ai.usage.cost"] == pytest.approx(0.0025)
    assert chat_attributes["gen_ai.usage.cost.currency"] == "USD"
    assert chat_attributes["gen_ai.usage.input_tokens"] == 2_000
    assert chat_attributes["gen_ai.response.finish_reasons"] == ["tool_use"]
    send_attributes = {a.key: _value(a.value) for a in send.attributes}
    assert send_attributes["messaging.destination.partition.id"] == "4"
    assert send_attributes["messaging.kafka.offset"] == 77

    assert {
        "moderation.items",
        "moderation.llm.tokens",
        "moderation.llm.cost.usd",
        "gen_ai.client.operation.duration",
    } <= receiver.metric_names
