"""StageRunner: bounded window, outputs before acks, acks in offset order, failures as data."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from opentelemetry.sdk.trace import TracerProvider
from runner_fakes import FakeEvent, FakeMessage, FakeSender

from moderation.streaming.records import Inbound, Outbound, Outcome
from moderation.streaming.runner import RunnerConfig, StageRunner

TRACER = TracerProvider().get_tracer("test")


def events(count: int, acks: list[int], partition: int = 0) -> list[FakeEvent]:
    return [
        FakeEvent(FakeMessage("in", partition, offset, b"k%d" % offset, str(offset).encode()), acks)
        for offset in range(count)
    ]


async def stream(items: list[FakeEvent]) -> AsyncIterator[FakeEvent]:
    for item in items:
        yield item


def config(window: int = 8, deadline: float = 5.0) -> RunnerConfig:
    return RunnerConfig(
        stage="t", group="g", window=window, item_deadline_s=deadline, send_retry_max_s=0.01
    )


def echo_outcome(inbound: Inbound) -> Outcome:
    value = inbound.value or b""
    return Outcome((Outbound("out", b"k", value, route="echo"),), "echo")


def dead_letter(inbound: Inbound, error: BaseException) -> Outcome:
    body = f"dlq {inbound.offset} {type(error).__name__}".encode()
    return Outcome((Outbound("dlq", b"k", body, route="dlq"),), "dlq")


async def run_all(runner: StageRunner, items: list[FakeEvent]) -> None:
    await runner.consume(stream(items))
    assert await runner.drain(5.0) == 0


async def test_later_offsets_finishing_first_are_acked_only_after_the_slow_one() -> None:
    acks: list[int] = []
    delays = {0: 0.2, 1: 0.0, 2: 0.05, 3: 0.0}
    ack_seen_when_sent: dict[int, list[int]] = {}

    async def handler(inbound: Inbound) -> Outcome:
        await asyncio.sleep(delays[inbound.offset])
        ack_seen_when_sent[inbound.offset] = list(acks)
        return echo_outcome(inbound)

    sender = FakeSender()
    runner = StageRunner(config(), handler, dead_letter, sender, TRACER)
    await run_all(runner, events(4, acks))
    assert acks == [0, 1, 2, 3]
    assert ack_seen_when_sent[1] == [], "offset 1 finished first but must wait for offset 0"
    assert sorted(value for _, value in sender.sent) == [b"0", b"1", b"2", b"3"]


async def test_window_bounds_concurrency() -> None:
    acks: list[int] = []
    running = 0
    peak = 0

    async def handler(inbound: Inbound) -> Outcome:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        return echo_outcome(inbound)

    runner = StageRunner(config(window=3), handler, dead_letter, FakeSender(), TRACER)
    await run_all(runner, events(20, acks))
    assert peak == 3
    assert acks == list(range(20))


async def test_a_handler_exception_becomes_a_dead_letter_and_the_partition_moves_on() -> None:
    acks: list[int] = []

    async def handler(inbound: Inbound) -> Outcome:
        if inbound.offset == 1:
            raise RuntimeError("poison")
        return echo_outcome(inbound)

    sender = FakeSender()
    runner = StageRunner(config(), handler, dead_letter, sender, TRACER)
    await run_all(runner, events(3, acks))
    assert acks == [0, 1, 2]
    assert ("dlq", b"dlq 1 RuntimeError") in sender.sent


async def test_a_stuck_handler_hits_the_item_deadline() -> None:
    acks: list[int] = []

    async def handler(inbound: Inbound) -> Outcome:
        await asyncio.sleep(60)
        return echo_outcome(inbound)

    sender = FakeSender()
    runner = StageRunner(config(deadline=0.05), handler, dead_letter, sender, TRACER)
    await run_all(runner, events(1, acks))
    assert sender.sent == [("dlq", b"dlq 0 TimeoutError")]
    assert acks == [0]


async def test_failed_sends_are_retried_and_the_ack_waits_for_them() -> None:
    acks: list[int] = []

    async def handler(inbound: Inbound) -> Outcome:
        return echo_outcome(inbound)

    sender = FakeSender(fail_first=3)
    runner = StageRunner(config(), handler, dead_letter, sender, TRACER)
    await run_all(runner, events(1, acks))
    assert sender.sent == [("out", b"0")]
    assert acks == [0]


async def test_no_output_still_acks() -> None:
    acks: list[int] = []

    async def handler(inbound: Inbound) -> Outcome:
        return Outcome((), "duplicate")

    runner = StageRunner(config(), handler, dead_letter, FakeSender(), TRACER)
    await run_all(runner, events(2, acks))
    assert acks == [0, 1]


async def test_drain_reports_work_that_did_not_finish_and_never_acks_it() -> None:
    acks: list[int] = []

    async def handler(inbound: Inbound) -> Outcome:
        await asyncio.sleep(30)
        return echo_outcome(inbound)

    runner = StageRunner(config(deadline=60), handler, dead_letter, FakeSender(), TRACER)
    await runner.consume(stream(events(2, acks)))
    assert await runner.drain(0.05) == 2
    assert acks == []
    for task in list(runner._tasks):
        task.cancel()


async def test_same_key_items_run_in_offset_order_while_other_keys_overtake() -> None:
    acks: list[int] = []
    order: list[str] = []
    delays = {0: 0.1, 1: 0.0, 2: 0.0}
    keys = {0: b"a", 1: b"a", 2: b"b"}

    async def handler(inbound: Inbound) -> Outcome:
        await asyncio.sleep(delays[inbound.offset])
        order.append(f"{inbound.key!r}{inbound.offset}")
        return echo_outcome(inbound)

    items = [
        FakeEvent(FakeMessage("in", 0, offset, keys[offset], str(offset).encode()), acks)
        for offset in range(3)
    ]
    runner = StageRunner(config(), handler, dead_letter, FakeSender(), TRACER)
    await run_all(runner, items)
    assert order == ["b'b'2", "b'a'0", "b'a'1"]
    assert acks == [0, 1, 2]


async def test_a_record_the_stream_never_delivered_is_read_again_before_later_ones() -> None:
    acks: list[int] = []
    handled: list[int] = []
    everything = events(5, acks)
    delivered = [item for item in everything if item.message.offset != 2]  # faust dropped 2
    reads: list[tuple[int, int]] = []

    async def refetch(topic: str, partition: int, start: int, end: int) -> list[FakeMessage]:
        reads.append((start, end))
        return [item.message for item in everything[start:end]]

    async def handler(inbound: Inbound) -> Outcome:
        handled.append(inbound.offset)
        return echo_outcome(inbound)

    runner = StageRunner(config(), handler, dead_letter, FakeSender(), TRACER, refetch=refetch)
    await run_all(runner, delivered)
    assert reads == [(2, 3)]
    assert sorted(handled) == [0, 1, 2, 3, 4], "every offset handled exactly once"
    # The re-read record's ack belongs to faust (it acked it when it dropped it); ours stay
    # in order around it.
    assert acks == [0, 1, 3, 4]


async def test_an_unrecoverable_gap_is_reported_and_does_not_stall_the_partition() -> None:
    acks: list[int] = []
    delivered = [item for item in events(4, acks) if item.message.offset != 1]

    async def handler(inbound: Inbound) -> Outcome:
        return echo_outcome(inbound)

    runner = StageRunner(config(), handler, dead_letter, FakeSender(), TRACER)
    await run_all(runner, delivered)
    assert acks == [0, 2, 3]


async def test_audit_reads_records_committed_behind_the_runners_back() -> None:
    acks: list[int] = []
    handled: list[int] = []
    everything = events(5, acks)

    async def refetch(topic: str, partition: int, start: int, end: int) -> list[FakeMessage]:
        return [item.message for item in everything[start:end]]

    async def handler(inbound: Inbound) -> Outcome:
        handled.append(inbound.offset)
        return echo_outcome(inbound)

    runner = StageRunner(config(), handler, dead_letter, FakeSender(), TRACER, refetch=refetch)
    await run_all(runner, everything[:2])  # faust skipped (and committed) offsets 2..4
    await runner.audit({("in", 0): 5, ("other", 0): 9})
    assert await runner.drain(5.0) == 0
    assert sorted(handled) == [0, 1, 2, 3, 4]
    await runner.audit({("in", 0): 5})
    assert sorted(handled) == [0, 1, 2, 3, 4], "nothing is read twice"
