"""Errors raised by the telemetry package."""

from __future__ import annotations


class TelemetryError(Exception):
    """Base class for telemetry problems."""


class TelemetryConfigError(TelemetryError, ValueError):
    """An ``OTEL_*`` or ``MODERATION_TRACE_FILE`` setting has a value we cannot honour."""
