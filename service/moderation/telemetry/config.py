"""Telemetry settings from the standard ``OTEL_*`` environment variables.

Read here: ``OTEL_SDK_DISABLED``, ``OTEL_SERVICE_NAME``, ``OTEL_TRACES_EXPORTER`` and
``OTEL_METRICS_EXPORTER`` (comma lists of ``otlp``, ``console``, ``none``; metrics also accept
``prometheus``, which is always on because the worker serves ``/metrics``). Unlike the SDK's
default, an unset ``OTEL_*_EXPORTER`` means ``otlp`` only when an OTLP endpoint is configured
(``OTEL_EXPORTER_OTLP_ENDPOINT`` or the signal's own ``..._TRACES_ENDPOINT`` /
``..._METRICS_ENDPOINT``) and nothing otherwise, so a worker without a collector does not log a
failed export every minute. Also read:
``OTEL_EXPORTER_OTLP[_TRACES|_METRICS]_PROTOCOL`` (only ``http/protobuf`` is installed) and
``MODERATION_TRACE_FILE`` (JSON-lines file of finished spans for ``moderation trace``).
Endpoint, headers, timeout, compression, sampler, resource attributes and export intervals are
read by the OpenTelemetry SDK and exporters themselves (``OTEL_EXPORTER_OTLP_ENDPOINT``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from moderation.telemetry.errors import TelemetryConfigError

DEFAULT_SERVICE_NAME: Final = "moderation"
TRACE_FILE_VARIABLE: Final = "MODERATION_TRACE_FILE"
_TRACE_EXPORTERS: Final = frozenset({"otlp", "console"})
_METRIC_EXPORTERS: Final = frozenset({"otlp", "console", "prometheus"})
_PROTOCOLS: Final = frozenset({"http/protobuf"})


@dataclass(frozen=True, slots=True)
class TelemetryConfig:
    """The effective telemetry settings (no secrets: OTLP headers stay with the exporter)."""

    service_name: str = DEFAULT_SERVICE_NAME
    sdk_disabled: bool = False
    trace_exporters: tuple[str, ...] = ()
    metric_exporters: tuple[str, ...] = ()
    trace_file: Path | None = None

    def describe(self) -> str:
        """One line for the start-up log: which exporters are on (no endpoints or headers)."""
        if self.sdk_disabled:
            return "telemetry: SDK disabled (OTEL_SDK_DISABLED); /metrics still served"
        traces = [*self.trace_exporters, *(["file"] if self.trace_file else [])]
        metrics = ["prometheus /metrics", *(m for m in self.metric_exporters if m != "prometheus")]
        return (
            f"telemetry: traces -> {', '.join(traces) or 'off'}; metrics -> {', '.join(metrics)} "
            "(set OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_*_EXPORTER to export)"
        )

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str], service_name: str | None = None
    ) -> TelemetryConfig:
        """Parse ``environ``; ``OTEL_SERVICE_NAME`` wins over ``service_name``."""
        for signal in ("TRACES", "METRICS"):
            protocol = _protocol(environ, signal)
            if protocol not in _PROTOCOLS:
                raise TelemetryConfigError(
                    f"OTLP protocol {protocol!r} is not installed; use http/protobuf"
                )
        trace_file = environ.get(TRACE_FILE_VARIABLE, "").strip()
        return cls(
            service_name=(
                environ.get("OTEL_SERVICE_NAME", "").strip() or service_name or DEFAULT_SERVICE_NAME
            ),
            sdk_disabled=environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true",
            trace_exporters=_exporters(environ, "TRACES", _TRACE_EXPORTERS),
            metric_exporters=_exporters(environ, "METRICS", _METRIC_EXPORTERS),
            trace_file=Path(trace_file) if trace_file else None,
        )


def _protocol(environ: Mapping[str, str], signal: str) -> str:
    value = environ.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL") or environ.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
    )
    return value.strip().lower()


def otlp_endpoint_set(environ: Mapping[str, str], signal: str) -> bool:
    """Whether an OTLP endpoint is configured for ``signal`` (TRACES or METRICS)."""
    return any(
        environ.get(name, "").strip()
        for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    )


def _exporters(environ: Mapping[str, str], signal: str, allowed: frozenset[str]) -> tuple[str, ...]:
    variable = f"OTEL_{signal}_EXPORTER"
    default = "otlp" if otlp_endpoint_set(environ, signal) else "none"
    names = [n.strip().lower() for n in environ.get(variable, default).split(",") if n.strip()]
    if not names:
        names = [default]
    unknown = sorted(set(names) - allowed - {"none"})
    if unknown:
        raise TelemetryConfigError(
            f"{variable}: unsupported exporter(s) {', '.join(unknown)}; "
            f"choose from {', '.join(sorted(allowed | {'none'}))}"
        )
    if "none" in names:
        if len(names) > 1:
            raise TelemetryConfigError(f"{variable}: 'none' cannot be combined with others")
        return ()
    return tuple(dict.fromkeys(names))
