"""Fixtures for the gateway tests: the scripted API, fake time, in-memory telemetry."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx2
import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from moderation.llm.gateway import ModelGateway, Resilience, build_client
from moderation.telemetry import Telemetry, setup_for_tests
from tests.support.llm import FakeApi, FakeTime


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def telemetry(spans: InMemorySpanExporter) -> Iterator[Telemetry]:
    made = setup_for_tests(spans, InMemoryMetricReader())
    yield made
    made.shutdown()


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


GatewayFactory = Callable[..., ModelGateway]


@pytest.fixture
def make_gateway(api: FakeApi, telemetry: Telemetry, fake_time: FakeTime) -> GatewayFactory:
    def make(resilience: Resilience | None = None, api_key: str = "sk-unit-test") -> ModelGateway:
        client = build_client(api_key, "http://api.invalid", timeout_s=5)
        client = client.with_options(
            http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(api.handle))
        )
        assert client.max_retries == 0, "the SDK must not retry underneath the gateway"
        return ModelGateway(
            client,
            telemetry.tracer,
            metrics=telemetry.metrics,
            resilience=resilience or Resilience(),
            clock=fake_time.clock,
            sleep=fake_time.sleep,
            jitter=lambda: 0.0,
        )

    return make
