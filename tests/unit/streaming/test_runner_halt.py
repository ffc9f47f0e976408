"""A configuration failure (401/402/403) halts: the record gets no decision and no dead letter,
no offset at or past it becomes committable, the halt's listeners (the intake's pause) hear of
it once, and a metric counts every failure."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from moderation.errors import ConfigurationError
from moderation.halt import IntakeHalt
from moderation.streaming.records import Inbound, Outcome
from moderation.streaming.runner import StageRunner
from moderation.telemetry import setup_for_tests
from tests.support.streaming import TOPIC, Broker, config, dead_letter, echo, record


def failures(reader: InMemoryMetricReader) -> int:
    data = reader.get_metrics_data()
    assert data is not None
    return sum(
        int(getattr(point, "value", 0))
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "moderation.configuration.failures"
        for point in metric.data.data_points
    )


async def test_a_configuration_failure_leaves_its_record_unfinished_and_trips_the_halt() -> None:
    reader = InMemoryMetricReader()
    telemetry = setup_for_tests(metric_reader=reader)
    halt = IntakeHalt(telemetry.metrics)
    paused: list[str] = []
    halt.listen(paused.append)

    async def handler(inbound: Inbound) -> Outcome:
        if inbound.offset in (1, 3):
            raise ConfigurationError("billing: the account cannot pay", status=402)
        return echo(inbound)

    broker = Broker()
    runner = StageRunner(
        config(), handler, dead_letter, broker, telemetry.tracer, telemetry.metrics, halt=halt
    )
    for offset in range(4):
        assert await runner.submit(record(offset))
    assert await runner.drain(5.0) == 0

    assert runner.committable() == {(TOPIC, 0): 1}, "nothing at or past offset 1 is committed"
    assert broker.values() == [b"0", b"2"], "the failed records get no decision"
    assert broker.values("dlq") == [], "and no dead letter: they are not the item's fault"
    assert len(paused) == 1, "the intake is paused once"
    assert "configuration failure in stage t at in[0]@1" in paused[0]
    assert "billing" in paused[0]
    assert halt.reason == paused[0]
    assert failures(reader) == 2
    telemetry.shutdown()


def test_without_a_listener_the_halt_writes_the_one_error_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    halt = IntakeHalt()
    caplog.set_level(logging.ERROR, logger="moderation.halt")
    assert halt.trip(ConfigurationError("key rejected", status=401), "triage", "in[0]@5")
    assert not halt.trip(ConfigurationError("key rejected", status=401), "review", "rv[1]@2")
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    assert halt.tripped
