"""Wiring of tracer and meter providers: ``setup()`` for the service, ``setup_for_tests()``."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from opentelemetry import metrics as otel_metrics
from opentelemetry import trace as otel_trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry

from moderation.telemetry.config import TelemetryConfig
from moderation.telemetry.jsonl import JsonlSpanExporter
from moderation.telemetry.metrics import Metrics, MetricsPage, render_prometheus
from moderation.telemetry.passthrough import PassThroughTracer

INSTRUMENTATION_SCOPE = "moderation"


@dataclass
class Telemetry:
    """Providers, the tracer and the ``Metrics`` of one process."""

    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    registry: CollectorRegistry
    config: TelemetryConfig
    #: False when no span processor is configured: the tracer then only propagates context.
    records_spans: bool = True
    tracer: Tracer = field(init=False)
    metrics: Metrics = field(init=False)
    _closed: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        self.tracer = (
            self.tracer_provider.get_tracer(INSTRUMENTATION_SCOPE)
            if self.records_spans
            else PassThroughTracer()
        )
        self.metrics = Metrics(self.meter_provider.get_meter(INSTRUMENTATION_SCOPE))

    def render_metrics(self) -> MetricsPage:
        """The Prometheus scrape page (serve ``body`` with ``Content-Type: content_type``)."""
        return render_prometheus(self.registry)

    def force_flush(self, timeout_millis: int = 10_000) -> bool:
        """Export everything buffered so far; False if an exporter timed out."""
        traces_ok = self.tracer_provider.force_flush(timeout_millis)
        metrics_ok = self.meter_provider.force_flush(timeout_millis)
        return traces_ok and metrics_ok

    def shutdown(self) -> None:
        """Flush and stop all exporters (safe to call twice)."""
        if self._closed:
            return
        self._closed = True
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


_lock = threading.Lock()
_current: Telemetry | None = None


def setup(service_name: str | None = None, environ: Mapping[str, str] | None = None) -> Telemetry:
    """Configure telemetry from the environment once per process and install it globally.

    Later calls return the first instance. Raises ``TelemetryConfigError`` for settings it
    cannot honour (an unknown exporter, the gRPC protocol).
    """
    global _current
    with _lock:
        if _current is None:
            config = TelemetryConfig.from_env(
                os.environ if environ is None else environ, service_name
            )
            _current = build(config)
            logging.getLogger("moderation.telemetry").info("%s", config.describe())
            otel_trace.set_tracer_provider(_current.tracer_provider)
            otel_metrics.set_meter_provider(_current.meter_provider)
        return _current


def build(config: TelemetryConfig) -> Telemetry:
    """Providers and exporters for ``config``, without touching the global providers."""
    resource = Resource.create({"service.name": config.service_name})
    processors: list[SpanProcessor] = []
    readers: list[MetricReader] = []
    if not config.sdk_disabled:
        exporters: list[SpanExporter] = []
        if "otlp" in config.trace_exporters:
            exporters.append(OTLPSpanExporter())
        if "console" in config.trace_exporters:
            exporters.append(ConsoleSpanExporter(service_name=config.service_name))
        if config.trace_file is not None:
            exporters.append(JsonlSpanExporter(config.trace_file))
        processors = [BatchSpanProcessor(exporter) for exporter in exporters]
        if "otlp" in config.metric_exporters:
            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        if "console" in config.metric_exporters:
            readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
    return _assemble(config, resource, processors, readers)


def setup_for_tests(
    span_exporter: SpanExporter | None = None,
    metric_reader: MetricReader | None = None,
    *,
    service_name: str = "moderation-test",
) -> Telemetry:
    """Telemetry exporting synchronously to ``span_exporter`` and readable via ``metric_reader``.

    Nothing global is touched, so tests can build as many as they like.
    """
    config = TelemetryConfig(service_name=service_name, trace_exporters=(), metric_exporters=())
    processors: list[SpanProcessor] = []
    if span_exporter is not None:
        processors.append(SimpleSpanProcessor(span_exporter))
    readers = [metric_reader] if metric_reader is not None else []
    return _assemble(config, Resource.create({"service.name": service_name}), processors, readers)


def _assemble(
    config: TelemetryConfig,
    resource: Resource,
    processors: Sequence[SpanProcessor],
    readers: Sequence[MetricReader],
) -> Telemetry:
    tracer_provider = TracerProvider(resource=resource)
    for processor in processors:
        tracer_provider.add_span_processor(processor)
    registry = CollectorRegistry(auto_describe=True)
    prometheus = PrometheusMetricReader(registry=registry)
    meter_provider = MeterProvider(resource=resource, metric_readers=[prometheus, *readers])
    return Telemetry(
        tracer_provider, meter_provider, registry, config, records_spans=bool(processors)
    )
