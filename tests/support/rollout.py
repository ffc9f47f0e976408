"""Rollout test helpers: a publisher that keeps what it was given, and metric readers."""

from __future__ import annotations

from dataclasses import dataclass, field

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from moderation.rollout.metrics import RolloutMetrics
from moderation.streaming.records import Outbound


@dataclass
class Published:
    records: list[Outbound] = field(default_factory=list)

    async def __call__(self, record: Outbound) -> None:
        self.records.append(record)


def metrics() -> tuple[RolloutMetrics, InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    return RolloutMetrics(provider.get_meter("test")), reader


def points(reader: InMemoryMetricReader, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Data points of metric ``name``: sorted attribute pairs -> value."""
    found: dict[tuple[tuple[str, str], ...], float] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != name:
                    continue
                for point in metric.data.data_points:
                    key = tuple(sorted((k, str(v)) for k, v in point.attributes.items()))
                    found[key] = point.value  # type: ignore[union-attr]  # sums only here
    return found
