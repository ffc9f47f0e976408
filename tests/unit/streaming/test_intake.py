"""The intake's rules (see moderation.streaming.intake) against a scripted consumer.

The consumer stands in for aiokafka's: the test hands it batches and calls the rebalance
listener the way aiokafka's coordinator does. The broker-backed behaviour is covered by the
integration tests; these pin down what the intake does between fetch, submit and commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import TopicPartition
from opentelemetry.sdk.trace import TracerProvider

from moderation.streaming import intake as intake_module
from moderation.streaming.intake import Intake, IntakeConfig
from moderation.streaming.runner import Partition, StageRunner
from tests.support.streaming import (
    TOPIC,
    Broker,
    Gates,
    config,
    dead_letter,
    still_waiting,
    turns,
    until,
)

TP = TopicPartition(TOPIC, 0)


@dataclass
class Record:
    """What the intake reads of an aiokafka ConsumerRecord."""

    offset: int
    topic: str = TOPIC
    partition: int = 0
    key: bytes | None = None
    value: bytes | None = b"v"
    timestamp: int = 0
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass
class ScriptedConsumer:
    """Hands out the batches the test queues; remembers seeks and commits."""

    batches: asyncio.Queue[dict[TopicPartition, list[Record]]] = field(
        default_factory=asyncio.Queue
    )
    stored: dict[TopicPartition, int] = field(default_factory=dict)
    seeks: list[tuple[TopicPartition, int]] = field(default_factory=list)
    commits: list[dict[TopicPartition, int]] = field(default_factory=list)
    listener: Any = None

    def subscribe(self, topics: Iterable[str], listener: Any) -> None:
        self.listener = listener

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    position: dict[TopicPartition, int] = field(default_factory=dict)
    fetching: int = 0  # getmany calls in flight

    async def getmany(
        self, timeout_ms: int, max_records: int
    ) -> dict[TopicPartition, list[Record]]:
        self.fetching += 1
        try:
            batch = await asyncio.wait_for(self.batches.get(), timeout_ms / 1000)
        except TimeoutError:  # like aiokafka: nothing arrived within the timeout
            return {}
        finally:
            self.fetching -= 1
        for tp, records in batch.items():
            if records:
                self.position[tp] = records[-1].offset + 1
        return batch

    async def committed(self, tp: TopicPartition) -> int | None:
        return self.stored.get(tp)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))
        self.position[tp] = offset

    async def beginning_offsets(self, tps: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(tps, 0)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))
        self.stored.update(offsets)

    def highwater(self, tp: TopicPartition) -> int | None:
        return 100

    def fetch(self, *offsets: int) -> None:
        self.batches.put_nowait({TP: [Record(offset) for offset in offsets]})


@dataclass
class Rig:
    consumer: ScriptedConsumer
    gates: Gates
    runner: StageRunner
    intake: Intake

    async def assign(self) -> None:
        await self.consumer.listener.on_partitions_assigned({TP})

    async def revoke(self) -> None:
        await self.consumer.listener.on_partitions_revoked({TP})


class SlowStateHook:
    """Stage state that takes a while to load on assignment (finalize reads a topic)."""

    topics = frozenset({TOPIC})

    def __init__(self) -> None:
        self.loading = asyncio.Event()
        self.loaded = asyncio.Event()
        self.loaded.set()

    async def assigned(self, partitions: Sequence[Partition]) -> None:
        self.loading.set()
        await self.loaded.wait()

    def revoked(self, partitions: Sequence[Partition]) -> None:
        return None


@pytest.fixture
def hook() -> SlowStateHook:
    return SlowStateHook()


@pytest.fixture
async def rig(monkeypatch: pytest.MonkeyPatch, hook: SlowStateHook) -> AsyncIterator[Rig]:
    consumer = ScriptedConsumer()
    monkeypatch.setattr(intake_module, "AIOKafkaConsumer", lambda **_: consumer)
    gates = Gates()
    runner = StageRunner(
        config(window=1), gates.handle, dead_letter, Broker(), TracerProvider().get_tracer("t")
    )
    intake = Intake(
        IntakeConfig(
            group="g", bootstrap_servers="unused", revoke_timeout_s=0.05, commit_interval_s=3600
        ),
        {TOPIC: runner},
        hooks=[hook],
    )
    await intake.start()
    yield Rig(consumer, gates, runner, intake)
    for gate in list(gates.opened.values()):
        gate.set()
    await intake.stop(5.0)


async def test_nothing_is_fetched_before_the_first_assignment(rig: Rig) -> None:
    rig.consumer.fetch(0)
    await turns()
    assert rig.gates.started == []
    assert rig.intake.rebalancing
    rig.consumer.stored[TP] = 0
    await rig.assign()
    await until(lambda: rig.gates.started == [0], "the record is handed over after assignment")
    assert rig.consumer.seeks == [(TP, 0)], "rule 2: reading resumes at the committed offset"
    assert not rig.intake.rebalancing


async def test_a_revoke_commits_the_finished_prefix_and_drops_the_rest_of_the_batch(
    rig: Rig,
) -> None:
    rig.consumer.stored[TP] = 5
    await rig.assign()
    rig.consumer.fetch(5, 6, 7)
    await until(lambda: rig.gates.started == [5], "offset 5 runs; 6 waits for the only slot")
    revoking = asyncio.create_task(rig.revoke())
    assert await still_waiting(revoking), "the revoke waits for the item in flight"
    rig.gates.open(5)
    await revoking
    assert rig.consumer.commits == [{TP: 6}], "rule 4: what finished is committed"
    assert rig.gates.started == [5], "rule 1: 6 and 7 were fetched before the revoke: not run"
    assert rig.runner.committable() == {}, "the revoked partition is forgotten"
    # Assigned again (here or elsewhere): reading resumes at 6, nothing was skipped.
    rig.consumer.seeks.clear()
    await rig.assign()
    await until(lambda: rig.consumer.seeks == [(TP, 6)], "rule 2: the fetch loop seeks to 6")
    rig.gates.open(6, 7)
    rig.consumer.fetch(6, 7)
    await until(lambda: rig.gates.done == [5, 6, 7], "6 and 7 are read again and run")


async def test_work_still_running_when_the_revoke_times_out_is_abandoned_uncommitted(
    rig: Rig,
) -> None:
    rig.consumer.stored[TP] = 0
    await rig.assign()
    rig.consumer.fetch(0)
    await until(lambda: rig.gates.started == [0], "offset 0 runs")
    await rig.revoke()  # offset 0 never finishes within revoke_timeout_s
    assert rig.gates.cancelled == [0]
    assert rig.consumer.commits == [], "rule 3: an unfinished offset is never committed"
    assert rig.intake.assignment == frozenset()
    rig.consumer.fetch(0, 1)  # whatever a fetch returns now, nothing runs until assigned
    await turns()
    assert rig.gates.started == [0]


async def test_stop_lets_in_flight_work_finish_and_commits_it(rig: Rig) -> None:
    rig.consumer.stored[TP] = 3
    await rig.assign()
    rig.consumer.fetch(3)
    await until(lambda: rig.gates.started == [3], "offset 3 runs")
    stopping = asyncio.create_task(rig.intake.stop(5.0))
    assert await still_waiting(stopping)
    rig.gates.open(3)
    await stopping
    assert rig.consumer.commits == [{TP: 4}]


async def test_records_a_fetch_returns_while_state_loads_are_read_again(
    rig: Rig, hook: SlowStateHook
) -> None:
    """A fetch in flight across a rebalance returns while the new assignment's state still
    loads: those records are discarded (rule 1), and the seek that follows rewinds over them
    (rule 2). Seeking in the listener, before that fetch returned, stalled the partition."""
    rig.consumer.stored[TP] = 0
    await rig.assign()
    await until(lambda: rig.consumer.fetching == 1, "a fetch is in flight")
    await rig.revoke()
    hook.loaded.clear()
    hook.loading.clear()
    assigning = asyncio.create_task(rig.assign())
    await hook.loading.wait()
    rig.consumer.fetch(0, 1)  # the fetch made before the revoke returns now
    await until(lambda: rig.consumer.position[TP] == 2, "the consumer moved past 0 and 1")
    assert rig.gates.started == [], "rule 1: fetched before the assignment: not run"
    hook.loaded.set()
    await assigning
    await until(lambda: rig.consumer.position[TP] == 0, "rule 2: rewound to the committed 0")
    rig.gates.open(0, 1)
    rig.consumer.fetch(0, 1)
    await until(lambda: rig.gates.done == [0, 1], "0 and 1 run")


def test_the_fetch_linger_sets_kafkas_wait_and_zero_keeps_kafkas_defaults() -> None:
    lingering = IntakeConfig(group="g", bootstrap_servers="b", fetch_linger_ms=25)
    assert lingering.fetch_options() == {"fetch_min_bytes": 1 << 20, "fetch_max_wait_ms": 25}
    # No wait with a large minimum would make the broker answer empty at once: a spinning loop.
    eager = IntakeConfig(group="g", bootstrap_servers="b", fetch_linger_ms=0)
    assert eager.fetch_options() == {"fetch_min_bytes": 1, "fetch_max_wait_ms": 500}
