"""The loop under every stage: a bounded window of concurrent items, commits in offset order.

The intake (:mod:`moderation.streaming.intake`) owns the consumer and hands every record it
fetched to :meth:`StageRunner.submit`. For each record the runner

1. waits for a free slot in the in-flight window,
2. runs the stage handler under a CONSUMER span and a hard deadline (anything the handler raises
   becomes a dead letter through ``on_failure``: nothing escapes, nothing is dropped), except a
   :class:`~moderation.errors.ConfigurationError` (rejected credentials, billing, permissions):
   that trips the :class:`~moderation.halt.IntakeHalt` and leaves the record unfinished,
3. sends every output and awaits the broker's acknowledgement (acks=all), retrying until it lands,
4. only then marks the offset finished; :meth:`committable` moves past an offset only when every
   earlier one of its partition has finished.

Records with the same key (content_id) are handled one after another, in offset order, so every
event about one item keeps its order downstream; different keys run concurrently.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from opentelemetry.trace import Tracer

from moderation.errors import ConfigurationError
from moderation.halt import IntakeHalt
from moderation.streaming.records import Headers, Inbound, Outbound, Outcome
from moderation.streaming.tracker import OffsetTracker
from moderation.telemetry import Metrics
from moderation.telemetry.kafka import consume_span, produce_span

_log = logging.getLogger(__name__)

Handler = Callable[[Inbound], Awaitable[Outcome]]
FailureHandler = Callable[[Inbound, BaseException], Outcome]
Partition = tuple[str, int]
TraceParent = Callable[[Inbound], Awaitable[Headers]]
"""Which trace a record continues when the stage knows better than its headers (finalize: the
original record's trace, or the task's for a reviewer tool that does not echo ``traceparent``):
headers that replace the record's own of the same name, or ``()`` to keep them."""


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


def suspended_at(task: asyncio.Task[Any]) -> str:
    """Where a task is suspended, outermost first along its await chain (code locations only)."""
    steps: list[str] = []
    awaited: Any = task.get_coro()
    while awaited is not None and len(steps) < 8:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is None:
            break
        steps.append(f"{frame.f_code.co_name}:{frame.f_lineno}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    if awaited is not None and steps:
        steps.append(type(awaited).__name__)  # a Future or an event the chain ends in
    return " -> ".join(steps) or "(not started or done)"


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
    """Runs one stage handler over the records the intake submits, at least once each."""

    def __init__(
        self,
        config: RunnerConfig,
        handler: Handler,
        on_failure: FailureHandler,
        sender: Sender,
        tracer: Tracer,
        metrics: Metrics | None = None,
        trace_parent: TraceParent | None = None,
        halt: IntakeHalt | None = None,
    ) -> None:
        self.config = config
        self._halt = halt
        self._trace_parent = trace_parent
        self._handler = handler
        self._on_failure = on_failure
        self._sender = sender
        self._tracer = tracer
        self._metrics = metrics
        self._slots = asyncio.Semaphore(config.window)
        self._tracker = OffsetTracker()
        self._tasks: dict[Partition, set[asyncio.Task[None]]] = {}
        self._last_by_key: dict[tuple[str, int, bytes | None], asyncio.Task[None]] = {}
        self.processed = 0

    @property
    def in_flight(self) -> int:
        return sum(len(tasks) for tasks in self._tasks.values())

    def report(self) -> list[str]:
        """Lines describing the work in flight, for :meth:`Intake.report` (no payloads)."""
        lines = [
            f"runner {self.config.stage} ({self.config.group}): {self.in_flight} in flight, "
            f"{self._slots._value} of {self.config.window} slots free, "
            f"{self.processed} processed"
        ]
        for partition, state in sorted(self._tracker.describe().items(), key=str):
            topic, number = cast(Partition, partition)
            lines.append(f"  {topic}[{number}]: {state}")
        for tasks in self._tasks.values():
            for task in sorted(tasks, key=lambda t: t.get_name())[:20]:
                lines.append(f"  {task.get_name()}: waiting in {suspended_at(task)}")
        return lines

    async def submit(self, inbound: Inbound, current: Callable[[], bool] = lambda: True) -> bool:
        """Start ``inbound`` once a slot is free. ``current`` is asked again after the wait: a
        record whose partition was revoked meanwhile is not started (returns False); its
        offset was never committed, so the partition's next owner reads it again."""
        await self._slots.acquire()
        if not current():
            self._slots.release()
            return False
        partition = (inbound.topic, inbound.partition)
        self._tracker.start(partition, inbound.offset)
        key = (inbound.topic, inbound.partition, inbound.key)
        previous = self._last_by_key.get(key)
        task = asyncio.create_task(self._process(inbound, previous), name=f"item {inbound.where}")
        self._last_by_key[key] = task
        self._tasks.setdefault(partition, set()).add(task)
        task.add_done_callback(functools.partial(self._forget_task, partition, key))
        return True

    def committable(self) -> dict[Partition, int]:
        """Per partition, the offset to commit: every record before it is finished."""
        return {
            cast(Partition, partition): offset
            for partition, offset in self._tracker.committable().items()
        }

    async def settle(self, partitions: Iterable[Partition], timeout: float) -> int:
        """Wait up to ``timeout`` for the work in flight on ``partitions``; returns how many
        items are still running (they will be abandoned by :meth:`release`)."""
        pending = [task for p in partitions for task in self._tasks.get(p, ())]
        if not pending:
            return 0
        _, still = await asyncio.wait(pending, timeout=timeout)
        return len(still)

    async def release(self, partitions: Iterable[Partition]) -> None:
        """Forget revoked partitions: cancel what still runs; nothing of it will be committed."""
        cancelled: list[asyncio.Task[None]] = []
        for partition in partitions:
            self._tracker.forget(partition)
            for task in list(self._tasks.get(partition, ())):
                task.cancel()
                cancelled.append(task)
        if cancelled:
            await asyncio.wait(cancelled)

    def _forget_task(
        self, partition: Partition, key: tuple[str, int, bytes | None], task: asyncio.Task[None]
    ) -> None:
        # The slot is released here, not in _process: a task cancelled before its first step
        # never runs its body (nor a finally in it), and its slot would be lost for good.
        self._slots.release()
        tasks = self._tasks.get(partition)
        if tasks is not None:
            tasks.discard(task)
            if not tasks:
                del self._tasks[partition]
        if self._last_by_key.get(key) is task:
            del self._last_by_key[key]

    async def _process(self, inbound: Inbound, previous: asyncio.Task[None] | None) -> None:
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
                # Not the item's fault and not an answer about it: the record stays unfinished,
                # so no offset at or past it is committed; the halt stops intake.
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
        if self._tracker.finish((inbound.topic, inbound.partition), inbound.offset):
            self.processed += 1

    async def _parent_headers(self, inbound: Inbound) -> Headers:
        """The record's headers, with the trace parent the stage names instead, if any."""
        if self._trace_parent is None:
            return inbound.headers
        try:
            parent = await self._trace_parent(inbound)
        except Exception:  # a lookup failure costs the trace link, never the item
            _log.warning("trace parent lookup failed for %s", inbound.where)
            return inbound.headers
        if not parent:
            return inbound.headers
        names = {name for name, _ in parent}
        return (*(h for h in inbound.headers if h[0] not in names), *parent)

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

    async def drain(self, timeout: float) -> int:
        """Wait up to ``timeout`` for everything in flight; return how many items are left."""
        return await self.settle(list(self._tasks), timeout)
