"""Telemetry: one trace per item across Kafka hops, LLM spans with cost, service metrics.

Entry points: ``setup()`` / ``setup_for_tests()`` give a ``Telemetry`` (tracer, metrics,
Prometheus page); ``moderation.telemetry.kafka`` has the CONSUMER/PRODUCER span helpers and
header propagation, ``moderation.telemetry.genai`` the LLM span.
"""

from moderation.telemetry.attributes import content_hash, set_content_hash_key
from moderation.telemetry.config import TelemetryConfig
from moderation.telemetry.errors import TelemetryConfigError, TelemetryError
from moderation.telemetry.metrics import Metrics, MetricsPage, PartitionLag
from moderation.telemetry.runtime import Telemetry, setup, setup_for_tests

__all__ = [
    "Metrics",
    "MetricsPage",
    "PartitionLag",
    "Telemetry",
    "TelemetryConfig",
    "TelemetryConfigError",
    "TelemetryError",
    "content_hash",
    "set_content_hash_key",
    "setup",
    "setup_for_tests",
]
