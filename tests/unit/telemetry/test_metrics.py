"""Metrics: record methods reach the right instruments, labels and the Prometheus page."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from opentelemetry.sdk.metrics.export import (
    HistogramDataPoint,
    InMemoryMetricReader,
    NumberDataPoint,
)

from moderation.pricing import TokenUsage, cost_of
from moderation.telemetry import PartitionLag, Telemetry
from moderation.telemetry.genai import llm_span

Point = NumberDataPoint | HistogramDataPoint


def _points(reader: InMemoryMetricReader, name: str) -> list[Point]:
    data = reader.get_metrics_data()
    assert data is not None
    found: list[Point] = []
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    found.extend(metric.data.data_points)  # type: ignore[arg-type]
    return found


def _value(points: Iterable[Point], **labels: str) -> float:
    for point in points:
        attrs = dict(point.attributes or {})
        if all(attrs.get(k.replace("__", ".")) == v for k, v in labels.items()):
            assert isinstance(point, NumberDataPoint)
            return point.value
    raise AssertionError(f"no point with {labels}")


def test_llm_span_feeds_latency_tokens_cost_and_in_flight(
    telemetry: Telemetry, metric_reader: InMemoryMetricReader
) -> None:
    usage = TokenUsage(input_tokens=1_000, output_tokens=200, cache_read_tokens=4_000)
    with llm_span(
        telemetry.tracer,
        "claude-haiku-4-5",
        stage="triage",
        tenant_id="acme",
        metrics=telemetry.metrics,
    ) as call:
        assert _value(_points(metric_reader, "moderation.llm.in_flight")) == 1
        call.record_response("claude-haiku-4-5", "msg", "end_turn", usage)
    assert _value(_points(metric_reader, "moderation.llm.in_flight")) == 0

    (latency,) = _points(metric_reader, "gen_ai.client.operation.duration")
    assert isinstance(latency, HistogramDataPoint)
    assert latency.count == 1
    assert dict(latency.attributes or {}) == {
        "gen_ai.request.model": "claude-haiku-4-5",
        "moderation.stage": "triage",
    }
    assert latency.explicit_bounds[0] == pytest.approx(0.01)

    tokens = _points(metric_reader, "moderation.llm.tokens")
    assert _value(tokens, gen_ai__token__type="input") == 1_000
    assert _value(tokens, gen_ai__token__type="output") == 200
    assert _value(tokens, gen_ai__token__type="cache_read") == 4_000
    # 1,000 x 1 + 200 x 5 + 4,000 x 0.1 = 2,400 per million
    cost = _points(metric_reader, "moderation.llm.cost.usd")
    assert _value(cost, moderation__tenant_id="acme") == pytest.approx(0.0024)


def test_failed_call_counts_error_and_latency_with_type(
    telemetry: Telemetry, metric_reader: InMemoryMetricReader
) -> None:
    with (
        pytest.raises(TimeoutError),
        llm_span(telemetry.tracer, "claude-sonnet-4-6", stage="review", metrics=telemetry.metrics),
    ):
        raise TimeoutError
    errors = _points(metric_reader, "moderation.errors")
    assert _value(errors, error__type="TimeoutError", moderation__stage="review") == 1
    (latency,) = _points(metric_reader, "gen_ai.client.operation.duration")
    assert dict(latency.attributes or {})["error.type"] == "TimeoutError"


def test_items_and_lag(telemetry: Telemetry, metric_reader: InMemoryMetricReader) -> None:
    telemetry.metrics.item("triage", "allow", "allowed")
    telemetry.metrics.item("triage", "allow", "allowed")
    telemetry.metrics.item("triage", "sonnet-review", "pending_review")
    lags = [PartitionLag("moderation.requests.v1", 0, "triage", 12)]
    telemetry.metrics.register_lag_source(lambda: lags)
    items = _points(metric_reader, "moderation.items")
    assert _value(items, moderation__route="allow") == 2
    assert (
        _value(items, moderation__route="sonnet-review", moderation__status="pending_review") == 1
    )
    assert (
        _value(
            _points(metric_reader, "moderation.consumer.lag"),
            messaging__destination__partition__id="0",
        )
        == 12
    )
    lags[0] = PartitionLag("moderation.requests.v1", 0, "triage", 3)
    assert _value(_points(metric_reader, "moderation.consumer.lag")) == 3


def test_prometheus_page_lists_every_family(telemetry: Telemetry) -> None:
    metrics = telemetry.metrics
    metrics.item("review", "human-review", "pending_review")
    metrics.llm_started("claude-sonnet-4-6", "review")
    metrics.llm_finished("claude-sonnet-4-6", "review", 0.42)
    metrics.tokens("claude-sonnet-4-6", "review", TokenUsage(10, 5))
    metrics.cost("acme", "review", cost_of("claude-sonnet-4-6", TokenUsage(1_000_000, 0)))
    metrics.error("RateLimitError", "review")
    metrics.register_lag_source(
        lambda: [PartitionLag("moderation.review.sonnet.v1", 1, "review", 7)]
    )
    page = telemetry.render_metrics()
    assert page.content_type == "text/plain; version=0.0.4; charset=utf-8"
    text = page.body.decode()
    for family in (
        "moderation_items",
        "gen_ai_client_operation_duration_seconds_bucket",
        "moderation_llm_tokens",
        "moderation_llm_cost_usd_total",
        "moderation_llm_in_flight",
        "moderation_errors",
        "moderation_consumer_lag",
    ):
        assert family in text, family
    cost_lines = [
        line
        for line in text.splitlines()
        if line.startswith("moderation_llm_cost_usd_total") and "acme" in line
    ]
    assert cost_lines
    assert cost_lines[0].endswith(" 3.0")
    assert 'messaging_destination_partition_id="1"' in text
