"""Fixtures for telemetry unit tests: in-memory span exporter and metric reader."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from moderation.telemetry import Telemetry, setup_for_tests


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def metric_reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def telemetry(
    spans: InMemorySpanExporter, metric_reader: InMemoryMetricReader
) -> Iterator[Telemetry]:
    tel = setup_for_tests(spans, metric_reader)
    yield tel
    tel.shutdown()
