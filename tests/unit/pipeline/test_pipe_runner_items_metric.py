"""StageRunner counts ``moderation.items`` once per item, labelled by route and decision status."""

from __future__ import annotations

from collections.abc import AsyncIterator

from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from runner_fakes import FakeEvent, FakeMessage

from moderation.streaming.records import Headers, Inbound, Outbound, Outcome
from moderation.streaming.runner import RunnerConfig, StageRunner
from moderation.telemetry import setup_for_tests


class Sink:
    async def send(self, record: Outbound, headers: Headers) -> tuple[int, int]:
        return 0, 0


async def _events(count: int) -> AsyncIterator[FakeEvent]:
    for offset in range(count):
        yield FakeEvent(FakeMessage("in", 0, offset, b"item-%d" % offset, b"{}"))


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

    runner = StageRunner(
        RunnerConfig(stage="triage", group="g", window=4, item_deadline_s=5.0),
        handler,
        on_failure,
        Sink(),
        telemetry.tracer,
        telemetry.metrics,
    )
    await runner.consume(_events(3))
    assert await runner.drain(5.0) == 0

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
