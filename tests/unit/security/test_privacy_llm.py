"""No content and no API key in logs, spans or metrics, on the happy path and every failure path.

The real SDK runs over an in-memory transport (no sockets); logging is captured at DEBUG for
every logger, as in a worker started with MODERATION_LOG_LEVEL=debug.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx2
import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from moderation.errors import ConfigurationError
from moderation.llm.classify import Classifier, without_quotes
from moderation.llm.gateway import CallContext, ModelGateway, Resilience, build_client
from moderation.llm.judge import JudgementKind, JudgeRequest, TierConfig
from moderation.llm.retry import RetryPolicy
from moderation.policy import PolicyBook
from moderation.telemetry import Telemetry, setup_for_tests
from moderation_contracts import ModerationRequest, Tier

CANARY = "zebra-canary-7731 my card is 4111 1111 1111 1111"
API_KEY = "sk-ant-api03-canary-key-do-not-log"
Reply = Callable[[httpx2.Request], httpx2.Response]


def tool_reply(tool_input: object) -> Reply:
    def reply(request: httpx2.Request) -> httpx2.Response:
        body = {
            "id": "msg_p",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5",
            "content": [
                {"type": "tool_use", "id": "t1", "name": "record_verdict", "input": tool_input}
            ],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 10, "output_tokens": 5},
        }
        return httpx2.Response(200, json=body)

    return reply


def error_reply(status: int) -> Reply:
    def reply(request: httpx2.Request) -> httpx2.Response:
        # A hostile or careless upstream error that quotes the request back.
        body = {"type": "error", "error": {"type": "api_error", "message": f"bad: {CANARY}"}}
        return httpx2.Response(status, json=body, headers={"retry-after": "0"})

    return reply


def dropped(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ReadError(f"connection reset while sending {CANARY}", request=request)


CLEAN = {"categories": [], "rationale": "nothing wrong"}
ECHOING = {
    "categories": [{"category": CANARY, "severity": "high", "confidence": 1.0}],
    "rationale": "r",
}
SCENARIOS: dict[str, list[Reply]] = {
    "judged": [tool_reply(CLEAN)],
    "invalid output echoing the content": [tool_reply(ECHOING)],
    "server errors then success": [error_reply(529), error_reply(500), tool_reply(CLEAN)],
    "bad request quoting the content": [error_reply(400)],
    "rejected key": [error_reply(401)],
    "dropped connections": [dropped],
}


@pytest.fixture
def telemetry_parts() -> Iterator[tuple[Telemetry, InMemorySpanExporter, InMemoryMetricReader]]:
    spans, reader = InMemorySpanExporter(), InMemoryMetricReader()
    made = setup_for_tests(spans, reader)
    yield made, spans, reader
    made.shutdown()


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_nothing_private_leaves_through_logs_spans_or_metrics(
    scenario: str,
    telemetry_parts: tuple[Telemetry, InMemorySpanExporter, InMemoryMetricReader],
    caplog: pytest.LogCaptureFixture,
) -> None:
    telemetry, spans, reader = telemetry_parts
    script = SCENARIOS[scenario]
    seen: list[httpx2.Request] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return script[min(len(seen), len(script)) - 1](request)

    caplog.set_level(logging.DEBUG)
    client = build_client(API_KEY, "http://api.invalid", timeout_s=5).with_options(
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handle))
    )
    gateway = ModelGateway(
        client,
        telemetry.tracer,
        metrics=telemetry.metrics,
        resilience=Resilience(retry=RetryPolicy(max_retries=2, base_delay_s=0.001)),
    )
    classifier = Classifier(gateway, TierConfig(Tier.HAIKU, "claude-haiku-4-5", 300))
    request = ModerationRequest(
        content_id="c-priv", tenant_id="acme", text=CANARY, submitted_at=datetime.now(UTC)
    )
    policy = PolicyBook.load(None).default
    context = CallContext(stage="triage", tenant_id="acme", content_id="c-priv", content_hash="h")
    if scenario == "rejected key":  # stops the worker (ConfigurationError); not an item answer
        with pytest.raises(ConfigurationError) as raised:
            await classifier.classify(JudgeRequest(request, policy, context))
        assert "zebra-canary" not in str(raised.value)
    else:
        judgement = await classifier.classify(JudgeRequest(request, policy, context))
        assert judgement.kind in set(JudgementKind)
    assert seen, "the call really went through the SDK"
    assert CANARY in seen[0].content.decode(), "the content does reach the API, and only it"

    logs = "\n".join(
        record.getMessage() + (caplog.text if record.exc_info else "") for record in caplog.records
    )
    span_dump = json.dumps(
        [
            {"name": s.name, "attributes": dict(s.attributes or {}), "events": [
                {"name": e.name, "attributes": dict(e.attributes or {})} for e in s.events
            ], "status": s.status.description}
            for s in spans.get_finished_spans()
        ],
        default=str,
    )  # fmt: skip
    metrics = reader.get_metrics_data()
    metric_dump = metrics.to_json() if metrics is not None else ""
    for where, text in (("logs", logs), ("spans", span_dump), ("metrics", metric_dump)):
        assert "zebra-canary" not in text, f"content leaked into {where}"
        # With its spaces: random hex ids and hashes in spans may contain "4111" by chance.
        assert "4111 1111" not in text, f"content leaked into {where}"
        assert API_KEY not in text, f"API key leaked into {where}"
    assert spans.get_finished_spans(), "spans were recorded"


def test_quoted_values_are_removed_from_validation_messages() -> None:
    problem = f"categories.0.category: {CANARY!r} is not a category of policy {'it' + chr(39)!r}"
    cleaned = without_quotes(problem)
    assert "zebra" not in cleaned
    assert cleaned.startswith("categories.0.category: '...' is not a category")
