"""A failed LLM span names the cause recorded inside it, not the wrapper raised out of it."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from moderation.telemetry import Telemetry
from moderation.telemetry.genai import llm_span
from moderation.telemetry.kafka import consume_span


class OverloadedError(Exception):
    """Stands in for the SDK's 529 error."""


class TierUnavailable(Exception):
    """Stands in for the gateway's wrapper."""


def test_recorded_cause_survives_the_wrapper_exception(
    telemetry: Telemetry, spans: InMemorySpanExporter
) -> None:
    def fail_like_the_gateway() -> None:
        with (
            consume_span(telemetry.tracer, "in", 0, 7, b"k", "g", None),
            llm_span(
                telemetry.tracer, "claude-haiku-4-5", stage="triage", metrics=telemetry.metrics
            ) as call,
        ):
            call.record_error(OverloadedError.__name__)
            raise TierUnavailable("claude-haiku-4-5 unavailable")

    with pytest.raises(TierUnavailable):
        fail_like_the_gateway()
    chat, process = spans.get_finished_spans()
    assert chat.attributes is not None
    assert chat.attributes["error.type"] == "OverloadedError"
    assert chat.status.status_code is StatusCode.ERROR
    # The enclosing span recorded nothing itself, so it names what escaped it.
    assert process.attributes is not None
    assert process.attributes["error.type"] == "TierUnavailable"


def test_without_a_recorded_cause_the_escaping_type_is_used(
    telemetry: Telemetry, spans: InMemorySpanExporter
) -> None:
    with (
        pytest.raises(TierUnavailable),
        llm_span(telemetry.tracer, "claude-haiku-4-5", stage="triage"),
    ):
        raise TierUnavailable("x")
    (chat,) = spans.get_finished_spans()
    assert chat.attributes is not None
    assert chat.attributes["error.type"] == "TierUnavailable"
