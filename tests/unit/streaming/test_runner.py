"""StageRunner: bounded window, outputs before commits, commits in offset order, failures as data.

Handlers wait at gates the tests open, so every ordering below is forced, never raced.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from moderation.streaming.records import Headers, Inbound, Outcome
from moderation.streaming.runner import Handler, StageRunner, TraceParent, to_inbound
from tests.support.streaming import (
    TOPIC,
    Broker,
    Gates,
    config,
    dead_letter,
    echo,
    record,
    still_waiting,
    turns,
    until,
)

TRACER = TracerProvider().get_tracer("test")
P0 = (TOPIC, 0)
P1 = (TOPIC, 1)


def runner(
    handler: Handler,
    broker: Broker | None = None,
    *,
    window: int = 8,
    deadline: float = 30.0,
    trace_parent: TraceParent | None = None,
    tracer_provider: TracerProvider | None = None,
) -> StageRunner:
    tracer = tracer_provider.get_tracer("test") if tracer_provider else TRACER
    return StageRunner(
        config(window, deadline),
        handler,
        dead_letter,
        broker or Broker(),
        tracer,
        trace_parent=trace_parent,
    )


async def echo_handler(inbound: Inbound) -> Outcome:
    return echo(inbound)


async def test_the_window_bounds_how_many_items_run_at_once() -> None:
    gates = Gates()
    stage = runner(gates.handle, window=3)
    for offset in range(3):
        assert await stage.submit(record(offset))
    fourth = asyncio.create_task(stage.submit(record(3)))
    assert await still_waiting(fourth), "a fourth item must wait for a free slot"
    assert (gates.started, stage.in_flight) == ([0, 1, 2], 3)
    gates.open(1)
    assert await fourth
    await until(lambda: gates.started == [0, 1, 2, 3], "the fourth item starts")
    gates.open(0, 2, 3)
    assert await stage.drain(5.0) == 0
    assert gates.peak == 3
    assert stage.committable() == {P0: 4}
    assert stage.processed == 4


async def test_later_offsets_that_finish_first_become_committable_only_after_the_slow_one() -> None:
    gates = Gates()
    broker = Broker()
    stage = runner(gates.handle, broker)
    for offset in range(4):
        assert await stage.submit(record(offset))
    gates.open(0)
    await until(lambda: stage.committable() == {P0: 1}, "offset 0 is committable")
    gates.open(2, 3)
    await until(lambda: gates.done == [0, 2, 3] and stage.in_flight == 1, "2 and 3 finish")
    assert broker.values() == [b"0", b"2", b"3"], "their outputs are already sent"
    assert stage.committable() == {P0: 1}, "offset 1 is unfinished: the commit may not pass it"
    gates.open(1)
    assert await stage.drain(5.0) == 0
    assert stage.committable() == {P0: 4}


async def test_a_handler_exception_becomes_a_dead_letter_and_the_partition_moves_on() -> None:
    async def handler(inbound: Inbound) -> Outcome:
        if inbound.offset == 1:
            raise RuntimeError("poison")
        return echo(inbound)

    broker = Broker()
    stage = runner(handler, broker)
    for offset in range(3):
        assert await stage.submit(record(offset))
    assert await stage.drain(5.0) == 0
    assert broker.values("dlq") == [b"dlq 0@1 RuntimeError"]
    assert sorted(broker.values()) == [b"0", b"2"]
    assert stage.committable() == {P0: 3}


async def test_a_stuck_handler_hits_the_item_deadline_and_is_dead_lettered() -> None:
    never = asyncio.Event()

    async def handler(inbound: Inbound) -> Outcome:
        await never.wait()
        return echo(inbound)

    broker = Broker()
    stage = runner(handler, broker, deadline=0.05)
    assert await stage.submit(record(0))
    assert await stage.drain(5.0) == 0
    assert broker.sent == [("dlq", b"dlq 0@0 TimeoutError")]
    assert stage.committable() == {P0: 1}


async def test_failed_sends_are_retried_and_the_commit_waits_for_the_broker() -> None:
    broker = Broker(up=False)
    stage = runner(echo_handler, broker)
    assert await stage.submit(record(0))
    await until(lambda: broker.attempts >= 3, "the send is tried again")
    assert stage.committable() == {}, "an output the broker never took must not be committed"
    assert stage.in_flight == 1
    broker.up = True
    assert await stage.drain(5.0) == 0
    assert broker.sent == [("out", b"0")]
    assert stage.committable() == {P0: 1}


async def test_an_item_without_outputs_is_still_committed() -> None:
    async def handler(inbound: Inbound) -> Outcome:
        return Outcome((), "duplicate")

    broker = Broker()
    stage = runner(handler, broker)
    assert await stage.submit(record(0))
    assert await stage.submit(record(1))
    assert await stage.drain(5.0) == 0
    assert broker.sent == []
    assert stage.committable() == {P0: 2}


async def test_drain_reports_unfinished_work_and_never_commits_it() -> None:
    gates = Gates()
    broker = Broker()
    stage = runner(gates.handle, broker)
    for offset in range(3):
        assert await stage.submit(record(offset))
    gates.open(2)
    await until(lambda: gates.done == [2], "offset 2 finishes")
    assert await stage.drain(0.01) == 2
    assert stage.committable() == {}, "0 and 1 are unfinished: nothing may be committed"
    await stage.release([P0])
    assert sorted(gates.cancelled) == [0, 1]
    assert stage.committable() == {}
    assert stage.in_flight == 0


async def test_items_with_one_key_run_in_offset_order_while_other_keys_overtake() -> None:
    gates = Gates()
    broker = Broker()
    stage = runner(gates.handle, broker)
    assert await stage.submit(record(0, key=b"a"))
    assert await stage.submit(record(1, key=b"a"))
    assert await stage.submit(record(2, key=b"b"))
    gates.open(1, 2)
    await until(lambda: gates.done == [2], "key b overtakes")
    assert gates.started == [0, 2], "the second item of key a waits for the first, even ready"
    gates.open(0)
    assert await stage.drain(5.0) == 0
    assert gates.done == [2, 0, 1]
    assert broker.values() == [b"2", b"0", b"1"]
    assert stage.committable() == {P0: 3}


async def test_a_record_whose_partition_was_revoked_during_the_slot_wait_is_not_started() -> None:
    gates = Gates()
    stage = runner(gates.handle, window=1)
    assert await stage.submit(record(0))
    assigned = True
    waiting = asyncio.create_task(stage.submit(record(1), lambda: assigned))
    assert await still_waiting(waiting)
    assigned = False  # a rebalance closed the intake while the record waited for its slot
    gates.open(0)
    assert await waiting is False
    assert gates.started == [0], "the record was not started"
    assert stage.committable() == {P0: 1}, "and its offset is not counted"
    # Its slot came back: the partition's next reader can submit the same record again.
    gates.open(1)
    assert await stage.submit(record(1))
    assert await stage.drain(5.0) == 0
    assert stage.committable() == {P0: 2}


async def test_release_cancels_the_revoked_partitions_work_and_never_makes_it_committable() -> None:
    gates = Gates()
    broker = Broker()
    stage = runner(gates.handle, broker)
    assert await stage.submit(record(0, partition=0))
    assert await stage.submit(record(1, partition=0))
    assert await stage.submit(record(5, partition=1))
    gates.open(1)
    await until(lambda: gates.done == [1], "offset 1 of partition 0 finishes")
    assert await stage.settle([P0], 0.01) == 1, "offset 0 of partition 0 is still running"
    await stage.release([P0])
    assert gates.cancelled == [0]
    assert stage.committable() == {}, "partition 0's finished offset 1 lies after unfinished 0"
    gates.open(0)  # too late: the item was cancelled
    assert await stage.settle([P1], 0.01) == 1, "partition 1 is untouched"
    gates.open(5)
    assert await stage.drain(5.0) == 0
    assert stage.committable() == {P1: 6}
    assert b"0" not in broker.values()
    # The partition's next assignment starts again from its committed offset.
    assert await stage.submit(record(0, partition=0))
    assert await stage.drain(5.0) == 0
    assert stage.committable() == {P0: 1, P1: 6}


async def test_settle_waits_for_work_that_finishes_and_reports_none_left() -> None:
    gates = Gates()
    stage = runner(gates.handle)
    assert await stage.submit(record(0))
    settling = asyncio.create_task(stage.settle([P0], 5.0))
    assert await still_waiting(settling)
    gates.open(0)
    assert await settling == 0
    assert stage.committable() == {P0: 1}
    assert await stage.settle([P1], 5.0) == 0, "nothing runs on partition 1"


@dataclass
class Traced:
    """A real tracer writing to memory, to read which parent each consumer span got."""

    spans: InMemorySpanExporter
    provider: TracerProvider

    @classmethod
    def make(cls) -> Traced:
        spans = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(spans))
        return cls(spans, provider)

    def consumer_parents(self) -> list[str]:
        return [
            format(span.parent.span_id, "016x") if span.parent else "-"
            for span in self.spans.get_finished_spans()
            if span.name.startswith("process ")
        ]


OWN = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
NAMED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_trace_parent_headers_replace_the_records_own_of_the_same_name() -> None:
    traced = Traced.make()
    broker = Broker()

    async def trace_parent(inbound: Inbound) -> Headers:
        return (("traceparent", NAMED.encode()),) if inbound.offset == 0 else ()

    stage = runner(echo_handler, broker, trace_parent=trace_parent, tracer_provider=traced.provider)
    for offset in (0, 1):
        own = Inbound(TOPIC, 0, offset, b"k%d" % offset, b"v", (("traceparent", OWN.encode()),))
        assert await stage.submit(own)
        assert await stage.drain(5.0) == 0
    assert traced.consumer_parents() == ["00f067aa0ba902b7", "b7ad6b7169203331"]
    sent_trace_ids = [dict(headers)["traceparent"].split(b"-")[1] for headers in broker.headers]
    assert sent_trace_ids == [
        b"4bf92f3577b34da6a3ce929d0e0e4736",
        b"0af7651916cd43dd8448eb211c80319c",
    ]


async def test_a_failing_trace_parent_lookup_keeps_the_records_headers_and_the_item() -> None:
    traced = Traced.make()
    broker = Broker()

    async def trace_parent(inbound: Inbound) -> Headers:
        raise LookupError("state not loaded")

    stage = runner(echo_handler, broker, trace_parent=trace_parent, tracer_provider=traced.provider)
    own = Inbound(TOPIC, 0, 0, b"k", b"v", (("traceparent", OWN.encode()),))
    assert await stage.submit(own)
    assert await stage.drain(5.0) == 0
    assert traced.consumer_parents() == ["b7ad6b7169203331"]
    assert broker.values() == [b"v"]
    assert stage.committable() == {P0: 1}


@dataclass
class ConsumerRecord:
    """The attributes of an aiokafka ConsumerRecord that the runner reads."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int
    headers: tuple[tuple[str, bytes | None], ...]


def test_a_consumer_record_becomes_an_inbound_with_byte_headers() -> None:
    raw = ConsumerRecord("in", 2, 9, b"k", b"v", 1700000000123, (("a", b"1"), ("empty", None)))
    assert to_inbound(raw) == Inbound(
        "in", 2, 9, b"k", b"v", (("a", b"1"), ("empty", b"")), 1700000000123
    )


async def test_work_revoked_before_it_started_gives_its_slot_back() -> None:
    """A task cancelled before its first step never runs its body: the slot must still return,
    or each such revoke shrinks the window until intake stops for good."""
    made = runner(echo, Broker(), window=1)
    assert await made.submit(record(0))
    await made.release([(TOPIC, 0)])  # cancels the task before it ever ran
    later = asyncio.create_task(made.submit(record(5)))
    await turns()
    assert later.done(), "the window's only slot was lost with the cancelled task"
    assert later.result() is True
    await made.drain(5)


async def test_the_state_report_shows_slots_offsets_and_where_each_item_waits() -> None:
    gates = Gates()
    stage = runner(gates.handle, window=3)
    for offset in range(3):
        assert await stage.submit(record(offset, key=b"secret-key"))
    gates.open(0)
    await until(lambda: stage.committable() == {P0: 1}, "offset 0 finished")
    lines = stage.report()
    assert "2 in flight, 1 of 3 slots free, 1 processed" in lines[0]
    assert any("committable=1 first_unfinished=1 started=2 unfinished=2" in line for line in lines)
    waiting = [line for line in lines if "waiting in" in line]
    assert len(waiting) == 2, lines
    assert all("_process" in line for line in waiting), "each item says where it is suspended"
    assert "secret" not in "\n".join(lines), "offsets and code locations only"
    gates.open(1, 2)
    assert await stage.drain(5.0) == 0
