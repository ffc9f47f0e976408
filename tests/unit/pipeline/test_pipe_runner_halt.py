"""A configuration failure (401/402/403) stops the runner: no decision, no dead letter, no ack
past the failed record, no new records taken; the halt logs one ERROR and counts a metric."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from runner_fakes import FakeEvent, FakeMessage, FakeSender

from moderation.errors import ConfigurationError
from moderation.halt import IntakeHalt
from moderation.streaming.records import Inbound, Outbound, Outcome
from moderation.streaming.runner import RunnerConfig, StageRunner
from moderation.telemetry import setup_for_tests


def _dead_letter(inbound: Inbound, error: BaseException) -> Outcome:
    return Outcome((Outbound("dlq", b"k", b"dlq %d" % inbound.offset, route="dlq"),), "dlq")


async def test_a_configuration_failure_halts_intake_and_commits_nothing_past_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reader = InMemoryMetricReader()
    telemetry = setup_for_tests(metric_reader=reader)
    halt = IntakeHalt(telemetry.metrics)
    handled: list[int] = []

    async def handler(inbound: Inbound) -> Outcome:
        handled.append(inbound.offset)
        if inbound.offset in (1, 2):
            raise ConfigurationError("the API key was rejected", status=401)
        return Outcome((Outbound("out", b"k", b"ok %d" % inbound.offset, route="ok"),), "ok")

    acks: list[int] = []
    sink = FakeSender()
    config = RunnerConfig(stage="triage", group="g", window=1, item_deadline_s=5.0)
    runner = StageRunner(
        config, handler, _dead_letter, sink, telemetry.tracer, telemetry.metrics, halt=halt
    )
    offered: list[int] = []

    async def records() -> AsyncIterator[FakeEvent]:
        for offset in range(4):
            if offset == 2:
                while not halt.tripped:  # noqa: ASYNC110 - wait for the first failure to land
                    await asyncio.sleep(0)
            offered.append(offset)
            yield FakeEvent(FakeMessage("in", 0, offset, b"k%d" % offset, b"{}"), acks)

    caplog.set_level(logging.ERROR, logger="moderation.halt")
    consuming = asyncio.create_task(runner.consume(records()))
    while len(offered) < 3:  # noqa: ASYNC110 - counts loop turns, not time
        await asyncio.sleep(0)
    for _ in range(50):  # let the loop run: the record offered after the halt must not start
        await asyncio.sleep(0)
    consuming.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consuming

    assert handled == [0, 1], "nothing is taken after the halt"
    assert acks == [0], "nothing at or past the failed record is acked (committed)"
    assert sink.sent == [("out", b"ok 0")], "no decision and no dead letter for the failed record"
    assert halt.reason == "the API key was rejected"
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "configuration failure" in errors[0].getMessage()
    # A second failure (another runner, another record) trips again but logs nothing more.
    assert halt.trip(ConfigurationError("again", status=403), "review", "in[0]@9") is False
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1
    data = reader.get_metrics_data()
    assert data is not None
    points = [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "moderation.configuration.failures"
        for point in metric.data.data_points
    ]
    assert sum(int(getattr(p, "value", 0)) for p in points) == 2


async def test_a_runner_stops_taking_records_once_another_stage_tripped_the_halt() -> None:
    telemetry = setup_for_tests()
    halt = IntakeHalt()
    halt.trip(ConfigurationError("billing", status=402), "review", "review[0]@3")
    handled: list[int] = []

    async def handler(inbound: Inbound) -> Outcome:
        handled.append(inbound.offset)
        return Outcome((), "ok")

    config = RunnerConfig(stage="triage", group="g", window=4, item_deadline_s=5.0)
    runner = StageRunner(config, handler, _dead_letter, FakeSender(), telemetry.tracer, halt=halt)
    offered: list[int] = []

    async def records() -> AsyncIterator[FakeEvent]:
        offered.append(0)
        yield FakeEvent(FakeMessage("in", 0, 0, b"k", b"{}"), [])

    consuming = asyncio.create_task(runner.consume(records()))
    while not offered:  # noqa: ASYNC110 - counts loop turns, not time
        await asyncio.sleep(0)
    for _ in range(50):
        await asyncio.sleep(0)
    consuming.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consuming
    assert handled == []
