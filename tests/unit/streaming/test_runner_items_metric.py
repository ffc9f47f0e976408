"""StageRunner counts ``moderation.items`` once per item, labelled by route and decision status."""

from __future__ import annotations

from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint

from moderation.streaming.records import Inbound, Outbound, Outcome
from moderation.streaming.runner import RunnerConfig, StageRunner
from moderation.telemetry import setup_for_tests
from tests.support.streaming import Broker, record


def _flagged(inbound: Inbound) -> Outcome:
    """A flagged item: a review request (no status) and a pending decision."""
    review = Outbound("review", b"k", b"r", route="review")
    pending = Outbound("decisions", b"k", b"d", route="review", status="pending_review")
    return Outcome((review, pending), "review", "item", "acme")


async def test_an_item_with_two_outputs_counts_once_with_its_decision_status() -> None:
    reader = InMemoryMetricReader()
    telemetry = setup_for_tests(metric_reader=reader)

    async def handler(inbound: Inbound) -> Outcome:
        if inbound.offset == 2:
            return Outcome((), "duplicate", "item", "acme")
        return _flagged(inbound)

    def on_failure(inbound: Inbound, error: BaseException) -> Outcome:
        raise AssertionError("no failure expected")

    broker = Broker()
    runner = StageRunner(
        RunnerConfig(stage="triage", group="g", window=4, item_deadline_s=5.0),
        handler,
        on_failure,
        broker,
        telemetry.tracer,
        telemetry.metrics,
    )
    for offset in range(3):
        assert await runner.submit(record(offset))
    assert await runner.drain(5.0) == 0
    assert len(broker.sent) == 4, "two outputs for each flagged item"

    data = reader.get_metrics_data()
    assert data is not None
    counts = {
        tuple(sorted((point.attributes or {}).items())): point.value
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "moderation.items"
        for point in metric.data.data_points
        if isinstance(point, NumberDataPoint)
    }
    labels = ("moderation.route", "moderation.stage", "moderation.status", "moderation.tenant_id")
    assert counts == {  # items by tenant too
        tuple(zip(labels, ("review", "triage", "pending_review", "acme"), strict=True)): 2,
        tuple(zip(labels, ("duplicate", "triage", "", "acme"), strict=True)): 1,
    }
    telemetry.shutdown()
