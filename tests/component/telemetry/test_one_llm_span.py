"""Exactly one span per LLM call: the SDK's own tracing is off with ``open_telemetry=False``.

A minimal local Messages endpoint answers the real ``anthropic`` SDK; the contrast case (SDK
tracing on) shows the test would notice a second span.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import pytest
from aiohttp import web
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from moderation.telemetry import Telemetry, setup_for_tests
from moderation.telemetry.genai import llm_span

_MESSAGE = {
    "id": "msg_local_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-haiku-4-5-20251001",
    "content": [{"type": "text", "text": "ok"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 12,
        "output_tokens": 3,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 4_096,
    },
}


@pytest.fixture
async def api() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    seen_headers: list[dict[str, str]] = []

    async def messages(request: web.Request) -> web.Response:
        seen_headers.append({k.lower(): v for k, v in request.headers.items()})
        await request.read()
        return web.json_response(_MESSAGE, headers={"request-id": "req_local_1"})

    app = web.Application()
    app.router.add_post("/v1/messages", messages)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", seen_headers
    await runner.cleanup()


async def _one_call(telemetry: Telemetry, client: anthropic.AsyncAnthropic) -> None:
    with llm_span(telemetry.tracer, "claude-haiku-4-5", stage="triage") as call:
        message = await client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=16,
            messages=[{"role": "user", "content": "hello"}],
        )
        call.record_response(message.model, message.id, message.stop_reason, message.usage)


async def test_sdk_tracing_off_leaves_exactly_our_span(
    api: tuple[str, list[dict[str, str]]],
) -> None:
    url, seen_headers = api
    spans = InMemorySpanExporter()
    telemetry = setup_for_tests(spans)
    client = anthropic.AsyncAnthropic(
        api_key="test-key", base_url=url, max_retries=0, timeout=10, open_telemetry=False
    )
    try:
        await _one_call(telemetry, client)
    finally:
        await client.close()
        telemetry.shutdown()
    (span,) = spans.get_finished_spans()
    assert span.kind is SpanKind.CLIENT
    assert span.attributes is not None
    assert span.attributes["gen_ai.response.id"] == "msg_local_1"
    assert span.attributes["gen_ai.usage.cache_read.input_tokens"] == 4_096
    assert "traceparent" not in seen_headers[0]


async def test_sdk_tracing_on_would_add_a_second_span(
    api: tuple[str, list[dict[str, str]]],
) -> None:
    url, _ = api
    spans = InMemorySpanExporter()
    telemetry = setup_for_tests(spans)
    client = anthropic.AsyncAnthropic(
        api_key="test-key",
        base_url=url,
        max_retries=0,
        timeout=10,
        open_telemetry={"tracer_provider": telemetry.tracer_provider},
    )
    try:
        await _one_call(telemetry, client)
    finally:
        await client.close()
        telemetry.shutdown()
    assert len(spans.get_finished_spans()) == 2
