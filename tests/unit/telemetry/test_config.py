"""OTEL_* environment parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderation.telemetry import TelemetryConfig, TelemetryConfigError
from moderation.telemetry.runtime import build


def test_without_an_endpoint_nothing_is_exported_and_the_log_says_so() -> None:
    config = TelemetryConfig.from_env({})
    assert config == TelemetryConfig(
        service_name="moderation", trace_exporters=(), metric_exporters=()
    )
    assert "traces -> off; metrics -> prometheus /metrics" in config.describe()


def test_an_otlp_endpoint_turns_the_otlp_exporters_on() -> None:
    both = TelemetryConfig.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert (both.trace_exporters, both.metric_exporters) == (("otlp",), ("otlp",))
    assert "traces -> otlp; metrics -> prometheus /metrics, otlp" in both.describe()
    traces = TelemetryConfig.from_env({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318"})
    assert (traces.trace_exporters, traces.metric_exporters) == (("otlp",), ())
    chosen = TelemetryConfig.from_env({"OTEL_TRACES_EXPORTER": "otlp"})  # explicit wins
    assert chosen.trace_exporters == ("otlp",)


def test_service_name_env_wins_over_argument() -> None:
    assert TelemetryConfig.from_env({}, "moderation-triage").service_name == "moderation-triage"
    env = {"OTEL_SERVICE_NAME": "ops-name"}
    assert TelemetryConfig.from_env(env, "moderation-triage").service_name == "ops-name"


def test_exporter_lists_and_trace_file() -> None:
    config = TelemetryConfig.from_env(
        {
            "OTEL_TRACES_EXPORTER": "console, otlp,console",
            "OTEL_METRICS_EXPORTER": "none",
            "MODERATION_TRACE_FILE": ".run/traces.jsonl",
            "OTEL_SDK_DISABLED": "TRUE",
        }
    )
    assert config.trace_exporters == ("console", "otlp")
    assert config.metric_exporters == ()
    assert config.trace_file == Path(".run/traces.jsonl")
    assert config.sdk_disabled


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OTEL_TRACES_EXPORTER": "jaeger"}, "jaeger"),
        ({"OTEL_METRICS_EXPORTER": "none,otlp"}, "none"),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "grpc"),
        ({"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/json"}, "http/json"),
    ],
)
def test_unsupported_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(TelemetryConfigError, match=message):
        TelemetryConfig.from_env(env)


def test_signal_protocol_overrides_the_general_one() -> None:
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
    }
    with pytest.raises(TelemetryConfigError, match="grpc"):
        TelemetryConfig.from_env(env)  # metrics still inherit grpc
    env["OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"] = "http/protobuf"
    assert TelemetryConfig.from_env(env).trace_exporters == ("otlp",)


def test_disabled_sdk_builds_without_exporters() -> None:
    telemetry = build(TelemetryConfig(sdk_disabled=True))
    try:
        with telemetry.tracer.start_as_current_span("x") as span:
            assert span is not None
        telemetry.metrics.item("triage", "allow", "allowed")
        assert b"moderation_items_total" in telemetry.render_metrics().body
    finally:
        telemetry.shutdown()
        telemetry.shutdown()  # idempotent
