"""The loop under every stage: one actor, a bounded window of concurrent items, in-order acks.

Faust's own ``concurrency=N`` can commit past unfinished work and an exception inside an agent
acks and drops its message, so a stage agent hands its stream (with acks off) to a
:class:`StageRunner`. For each record the runner

1. waits for a free slot in the in-flight window,
2. runs the stage handler under a CONSUMER span and a hard deadline (anything the handler raises
   becomes a dead letter through ``on_failure``: nothing escapes, nothing is dropped),
3. sends every output and awaits the broker's acknowledgement (acks=all), retrying until it lands,
4. only then marks the offset finished; acks are released per partition in offset order.

Records with the same key (content_id) are handled one after another, in offset order, so every
event about one item keeps its order downstream; different keys run concurrently.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from opentelemetry.trace import Tracer

from moderation.errors import ConfigurationError
from moderation.halt import IntakeHalt
from moderation.streaming.records import Headers, Inbound, Outbound, Outcome
from moderation.streaming.tracker import Admission, OffsetTracker
from moderation.telemetry import Metrics
from moderation.telemetry.kafka import consume_span, produce_span

_log = logging.getLogger(__name__)

Handler = Callable[[Inbound], Awaitable[Outcome]]
FailureHandler = Callable[[Inbound, BaseException], Outcome]
Refetch = Callable[[str, int, int, int], Awaitable[Sequence[Any]]]
"""Read (topic, partition) offsets [start, end) again, straight from the broker."""
TraceParent = Callable[[Inbound], Awaitable[Headers]]
"""Where to continue the trace when a record arrives without ``traceparent`` (e.g. a reviewer
tool that does not echo it): headers holding the parent's context, or ``()`` for a new trace."""


class Ackable(Protocol):
    """What the runner needs of a consumed event: its message and a way to ack it."""

    @property
    def message(self) -> Any: ...

    def ack(self) -> bool: ...


class _Reread:
    """A record read again after faust dropped it; faust already acked it, so ack is a no-op."""

    def __init__(self, message: Any) -> None:
        self.message = message

    def ack(self) -> bool:
        return False


class Sender(Protocol):
    async def send(self, record: Outbound, headers: Headers) -> tuple[int, int]:
        """Produce ``record`` and wait for the broker; return (partition, offset)."""
        ...


@dataclass(frozen=True)
class RunnerConfig:
    stage: str
    group: str
    window: int
    item_deadline_s: float
    send_retry_max_s: float = 5.0


def _header_bytes(value: object) -> bytes:
    if value is None:  # Kafka allows a header without a value
        return b""
    return value if isinstance(value, bytes) else str(value).encode()


def to_inbound(message: Any) -> Inbound:
    """Adapt a faust/aiokafka message to an :class:`Inbound` (headers normalised to tuples)."""
    raw_headers = getattr(message, "headers", None) or ()
    if isinstance(raw_headers, Mapping):
        raw_headers = list(raw_headers.items())
    headers: Headers = tuple((str(name), _header_bytes(value)) for name, value in raw_headers)
    timestamp = getattr(message, "timestamp", None)
    return Inbound(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        headers=headers,
        timestamp_ms=int(timestamp * 1000) if isinstance(timestamp, float) else timestamp,
    )


class StageRunner:
    """Runs one stage handler over a stream with at-least-once delivery of its outputs."""

    def __init__(
        self,
        config: RunnerConfig,
        handler: Handler,
        on_failure: FailureHandler,
        sender: Sender,
        tracer: Tracer,
        metrics: Metrics | None = None,
        trace_parent: TraceParent | None = None,
        refetch: Refetch | None = None,
        halt: IntakeHalt | None = None,
    ) -> None:
        self.config = config
        self._halt = halt
        self._refetch = refetch
        self._trace_parent = trace_parent
        self._handler = handler
        self._on_failure = on_failure
        self._sender = sender
        self._tracer = tracer
        self._metrics = metrics
        self._slots = asyncio.Semaphore(config.window)
        self._tracker: OffsetTracker[Ackable] = OffsetTracker()
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_by_key: dict[tuple[str, int, bytes | None], asyncio.Task[None]] = {}
        self._intake_open = asyncio.Event()
        self._intake_open.set()
        self.processed = 0
        self.last_activity = time.monotonic()
        """When a record last arrived or finished (for the stall watchdog behind /livez)."""
        self._admission = asyncio.Lock()  # the consume loop and audit() start records in turn

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def consume(self, events: AsyncIterable[Ackable]) -> None:
        """The agent body: never raises for a bad record, never acks unfinished work."""
        async for event in events:
            self.last_activity = time.monotonic()
            if self._halt is not None and self._halt.tripped:
                self.pause_intake()  # another stage hit a configuration failure
            await self._intake_open.wait()
            async with self._admission:
                await self._admit(event)

    async def _admit(self, event: Ackable) -> None:
        message = event.message
        partition = (message.topic, message.partition)
        admission = self._tracker.admit(partition, message.offset)
        if admission is Admission.GAP:
            await self._fill_gap(partition, message.offset)
        if admission is Admission.IN_FLIGHT:
            return
        if admission is Admission.DONE:
            event.ack()
            return
        if admission is Admission.BEHIND:
            await self._until_idle(partition)
        await self._slots.acquire()
        self._begin(to_inbound(message), event)

    async def audit(self, committed: Mapping[tuple[str, int], int]) -> None:
        """Catch records faust committed without delivering them (trailing drops: no later
        record arrives to reveal the gap). For each partition this runner reads, offsets
        between its next expected one and faust's committed one are read again."""
        async with self._admission:
            for partition, offset in committed.items():
                expected = self._tracker.expected(partition)
                if expected is None or offset <= expected:
                    continue
                await self._fill_gap(partition, offset)

    def _begin(self, inbound: Inbound, event: Ackable) -> None:
        """Track and start one record (a slot is already held)."""
        self._tracker.start((inbound.topic, inbound.partition), inbound.offset, event)
        key = (inbound.topic, inbound.partition, inbound.key)
        previous = self._last_by_key.get(key)
        task = asyncio.create_task(self._process(inbound, previous), name=f"item {inbound.where}")
        self._last_by_key[key] = task
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._forget, key))

    async def _fill_gap(self, partition: tuple[str, int], offset: int) -> None:
        """Records before ``offset`` never reached this stream: read them from the broker.

        faust skips (and acks) records it fetched under an older consumer generation; left
        alone, the commit would run past them. They are read again with a plain consumer and
        processed before ``offset``, in order. Their offsets may already be committed, so the
        window for a crash to lose them is as short as this read.
        """
        expected = self._tracker.expected(partition)
        assert expected is not None
        topic, number = partition
        _log.warning(
            "stage %s: %s[%d] offsets %d..%d did not reach the stream; reading them again",
            self.config.stage,
            topic,
            number,
            expected,
            offset - 1,
        )
        if self._metrics is not None:
            self._metrics.error("delivery_gap", self.config.stage)
        missing: Sequence[Any] = []
        if self._refetch is not None:
            try:
                missing = await self._refetch(topic, number, expected, offset)
            except Exception as error:  # a failed re-read is logged loudly, never a crash
                _log.error("stage %s: re-read failed: %s", self.config.stage, type(error).__name__)
        for message in sorted(missing, key=lambda m: int(m.offset)):
            if expected <= message.offset < offset:
                await self._slots.acquire()
                self._begin(to_inbound(message), _Reread(message))
        if self._tracker.expected(partition) != offset:
            _log.error(
                "stage %s: %s[%d] offsets %d..%d could not be read again; they are lost",
                self.config.stage,
                topic,
                number,
                self._tracker.expected(partition),
                offset - 1,
            )
            if self._metrics is not None:
                self._metrics.error("delivery_gap_unrecovered", self.config.stage)

    async def _until_idle(self, partition: tuple[str, int]) -> None:
        """Wait until nothing of ``partition`` is in flight (a rewind behind running work)."""
        while self._tracker.in_flight(partition):  # noqa: ASYNC110 - rare path, no waiters to keep
            await asyncio.sleep(0.05)

    def reset_positions(self, partitions: Iterable[tuple[str, int]]) -> None:
        """Partitions were assigned anew: the consumer starts from the committed offsets."""
        for partition in partitions:
            self._tracker.reset(partition)

    def _forget(self, key: tuple[str, int, bytes | None], task: asyncio.Task[None]) -> None:
        self.last_activity = time.monotonic()
        self._tasks.discard(task)
        if self._last_by_key.get(key) is task:
            del self._last_by_key[key]

    async def _process(self, inbound: Inbound, previous: asyncio.Task[None] | None) -> None:
        try:
            if previous is not None:
                # Same key still in flight: wait for it, whatever its fate, to keep key order.
                await asyncio.wait([previous])
            with consume_span(
                self._tracer,
                inbound.topic,
                inbound.partition,
                inbound.offset,
                inbound.key,
                self.config.group,
                await self._parent_headers(inbound),
                stage=self.config.stage,
            ) as span:
                try:
                    outcome = await self._run_handler(inbound)
                except ConfigurationError as error:
                    # Not the item's fault and not an answer about it: stop taking records and
                    # leave this one unfinished, so no offset at or past it is committed.
                    self.pause_intake()
                    span.set_attribute("moderation.route", "halted")
                    if self._halt is not None:
                        self._halt.trip(error, self.config.stage, inbound.where)
                    return
                for name, value in (
                    ("moderation.route", outcome.route),
                    ("moderation.content_id", outcome.content_id),
                    ("moderation.tenant_id", outcome.tenant_id),
                    ("moderation.content_hash", outcome.content_hash),
                ):
                    if value:
                        span.set_attribute(name, value)
                # Sends happen inside the consumer span, so producer spans are its children.
                for record in outcome.outputs:
                    await self._send_reliably(record, outcome)
            if self._metrics is not None:
                # One count per item, not per output record: a flagged item sends a review
                # request and a pending decision but is still one item. Status is the
                # decision's, if the item produced one.
                status = next((record.status for record in outcome.outputs if record.status), "")
                self._metrics.item(self.config.stage, outcome.route, status, outcome.tenant_id)
            for event in self._tracker.finish((inbound.topic, inbound.partition), inbound.offset):
                event.ack()
            self.processed += 1
        finally:
            self._slots.release()

    async def _parent_headers(self, inbound: Inbound) -> Headers:
        if self._trace_parent is None or any(k == "traceparent" for k, _ in inbound.headers):
            return inbound.headers
        try:
            return (*inbound.headers, *await self._trace_parent(inbound))
        except Exception:  # a lookup failure costs the trace link, never the item
            _log.warning("trace parent lookup failed for %s", inbound.where)
            return inbound.headers

    async def _run_handler(self, inbound: Inbound) -> Outcome:
        try:
            async with asyncio.timeout(self.config.item_deadline_s):
                return await self._handler(inbound)
        except ConfigurationError:
            raise
        except Exception as error:  # a failure is data: it goes to the dead-letter topic
            _log.error(
                "stage %s failed on %s: %s",
                self.config.stage,
                inbound.where,
                type(error).__name__,
            )
            if self._metrics is not None:
                self._metrics.error(type(error).__name__, self.config.stage)
            return self._on_failure(inbound, error)

    async def _send_reliably(self, record: Outbound, outcome: Outcome) -> None:
        delay = 0.1
        while True:
            with produce_span(
                self._tracer,
                record.topic,
                record.key,
                content_id=outcome.content_id,
                tenant_id=outcome.tenant_id,
                stage=self.config.stage,
                route=record.route,
            ) as produced:
                try:
                    partition, offset = await self._sender.send(
                        record, (*record.headers, *produced.headers)
                    )
                except Exception as error:  # broker unavailable: keep trying, never ack
                    produced.failed(error)
                    _log.warning(
                        "stage %s: send to %s failed (%s); retrying in %.1fs",
                        self.config.stage,
                        record.topic,
                        type(error).__name__,
                        delay,
                    )
                else:
                    produced.delivered(partition, offset)
                    return
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.config.send_retry_max_s)

    def pause_intake(self) -> None:
        self._intake_open.clear()

    def resume_intake(self) -> None:
        self._intake_open.set()

    async def drain(self, timeout: float) -> int:
        """Stop intake, wait up to ``timeout`` for in-flight items; return how many are left."""
        self.pause_intake()
        pending: Sequence[asyncio.Task[None]] = list(self._tasks)
        if pending:
            _, still = await asyncio.wait(pending, timeout=timeout)
            return len(still)
        return 0
