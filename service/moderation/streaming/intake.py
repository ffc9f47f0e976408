"""The delivery layer: one consumer that owns fetching, seeking and committing for every stage.

Why the service reads its stage inputs with its own aiokafka consumer instead of faust agents:
faust's ``Consumer.getmany`` can drop fetched records on their way to an agent (records of a
partition it does not count as active at that moment are skipped, the loop breaks mid-batch when
the generation changes, the stream skips and acks records of an older generation), and aiokafka's
position has already moved past them. Three patches detected the drops after the fact; none could
make the commit and the fetch agree, because faust owned one and we owned the other. Here one
object owns both. faust still runs the application (lifecycle, signals, producer, timers).

The rules that make a skip impossible:

1. Every record ``getmany`` returns is handed to its stage's runner, in order, unless the intake
   has closed since that ``getmany`` was called (a rebalance or shutdown started): the
   generation is read before the fetch, so a fetch in flight across a rebalance counts as old.
2. A closed intake opens again only at the end of ``on_partitions_assigned``, and the fetch loop
   itself then moves every assigned partition to its committed offset before its next fetch.
   The seek happens in the fetch loop, between two fetches, never in the listener: a fetch in
   flight while the listener ran returns records that rule 1 discards, after the listener is
   done, and only the seek that follows rewinds the position over them. (A seek made in the
   listener came too early for that: soak run 5 of 20 lost 37 records of a partition to a fetch
   that returned during the listener's await on the finalize state, after its seek.)
3. A commit stores, per partition, only the offset before which every submitted record has
   finished (:class:`~moderation.streaming.tracker.OffsetTracker`): outputs acknowledged first.
4. On revoke the intake closes, waits for in-flight work on the revoked partitions for at most
   ``revoke_timeout_s`` (well under the rebalance timeout), commits what finished, and cancels
   the rest: abandoned items are processed again by the next owner (duplicates, never losses).

After a SIGKILL the records re-processed are those in flight plus at most one commit interval of
finished ones: the commit runs every ``commit_interval_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from moderation.streaming.runner import Partition, StageRunner, suspended_at, to_inbound
from moderation.telemetry import Metrics, PartitionLag

_log = logging.getLogger(__name__)


class PartitionHooks(Protocol):
    """State a stage keeps per input partition (finalize's open tasks): loaded on assignment,
    dropped on revocation, both before the intake opens or after it closed."""

    @property
    def topics(self) -> frozenset[str]: ...

    async def assigned(self, partitions: Sequence[Partition]) -> None: ...

    def revoked(self, partitions: Sequence[Partition]) -> None: ...


@dataclass(frozen=True)
class IntakeConfig:
    group: str
    bootstrap_servers: str
    client_options: Mapping[str, Any] = field(default_factory=dict)
    session_timeout_s: float = 30.0
    rebalance_timeout_s: float = 90.0
    revoke_timeout_s: float = 20.0
    commit_interval_s: float = 1.0
    max_poll_records: int = 500
    fetch_linger_ms: int = 25

    def fetch_options(self) -> dict[str, int]:
        """Kafka's fetch.min.bytes / fetch.max.wait.ms for the linger (0: Kafka's defaults).

        Every fetch names every partition the worker owns (each stage's input topics), and
        answering one as soon as a single record is there made a fetch per record at moderate
        rates: the linger lets the broker gather records for a few milliseconds first.
        """
        if self.fetch_linger_ms <= 0:
            return {"fetch_min_bytes": 1, "fetch_max_wait_ms": 500}
        return {"fetch_min_bytes": FETCH_MIN_BYTES, "fetch_max_wait_ms": self.fetch_linger_ms}


#: What a lingering fetch waits to gather, unless its linger runs out first.
FETCH_MIN_BYTES = 1 << 20


class Intake:
    """Reads the stage input topics for one consumer group and feeds the stage runners."""

    def __init__(
        self,
        config: IntakeConfig,
        runners: Mapping[str, StageRunner],
        hooks: Iterable[PartitionHooks] = (),
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self._runners = dict(runners)
        self._hooks = list(hooks)
        self._metrics = metrics
        self._consumer: AIOKafkaConsumer | None = None
        self._open = asyncio.Event()
        self._generation = 0
        self._assigned: frozenset[Partition] = frozenset()
        self._committed: dict[Partition, int] = {}
        self._starts: dict[TopicPartition, int] = {}  # rule 2: where the next open begins
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.rebalancing = True
        self.paused_reason: str | None = None
        self.failed: BaseException | None = None
        self.on_fatal: Callable[[BaseException], None] | None = None

    @property
    def assignment(self) -> frozenset[Partition]:
        return self._assigned

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.config.bootstrap_servers,
            group_id=self.config.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=int(self.config.session_timeout_s * 1000),
            heartbeat_interval_ms=max(1000, int(self.config.session_timeout_s * 1000 / 10)),
            rebalance_timeout_ms=int(self.config.rebalance_timeout_s * 1000),
            max_poll_records=self.config.max_poll_records,
            **self.config.fetch_options(),
            **self.config.client_options,
        )
        consumer.subscribe(topics=sorted(self._runners), listener=_Listener(self))
        self._consumer = consumer  # before start: the first assignment may come during it
        await consumer.start()
        self._tasks = [
            asyncio.create_task(self._fetch_loop(consumer), name="intake fetch"),
            asyncio.create_task(self._commit_loop(), name="intake commit"),
        ]
        for task in self._tasks:
            task.add_done_callback(self._loop_ended)
        _log.info("intake: group %s reads %s", self.config.group, ", ".join(sorted(self._runners)))

    async def stop(self, drain_timeout_s: float) -> None:
        """Close intake, let in-flight work finish (bounded), commit it, leave the group."""
        if self._stopping:
            return
        self._stopping = True
        self._close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        in_flight = sum(runner.in_flight for runner in self._runners.values())
        if in_flight:
            _log.info("draining %d in-flight items (up to %.0fs)", in_flight, drain_timeout_s)
        left = await self._settle(self._assigned, drain_timeout_s)
        if left:
            _log.warning(
                "%d items still in flight at shutdown; their offsets stay uncommitted and they "
                "will be processed again",
                left,
            )
        await self._commit()
        await self._release(self._assigned)
        if self._consumer is not None:
            with contextlib.suppress(Exception):  # leaving the group is best effort at exit
                await self._consumer.stop()

    def _loop_ended(self, task: asyncio.Task[None]) -> None:
        """The fetch and commit loops end only when stopped. If one dies of a bug, intake would
        stall silently: say so loudly and let ``on_fatal`` stop the worker (it restarts from
        the committed offsets; nothing unfinished was committed)."""
        if task.cancelled() or self._stopping:
            return
        error = task.exception()
        reason = error if error is not None else RuntimeError(f"{task.get_name()} returned")
        _log.error("intake: %s ended: %r; stopping the worker", task.get_name(), reason)
        self.failed = reason
        self._close()
        if self.on_fatal is not None:
            self.on_fatal(reason)

    def pause(self, reason: str) -> None:
        """Stop taking new work without leaving the group (a configuration failure)."""
        if self.paused_reason is None:
            _log.error("intake paused: %s", reason)
        self.paused_reason = reason
        self._close()

    # -- the fetch loop ---------------------------------------------------------------------

    async def _fetch_loop(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            await self._open.wait()
            generation = self._generation  # rule 1: read before the fetch, not after
            self._seek_to_starts(consumer)

            def current(generation: int = generation) -> bool:
                return self._open.is_set() and self._generation == generation

            try:
                batch = await consumer.getmany(
                    timeout_ms=200, max_records=self.config.max_poll_records
                )
            except KafkaError as error:  # the consumer recovers by itself; say so once per try
                _log.warning("intake: fetch failed (%s); retrying", type(error).__name__)
                await asyncio.sleep(1.0)
                continue
            for tp, records in batch.items():
                runner = self._runners[tp.topic]
                for record in records:
                    if not current() or not await runner.submit(to_inbound(record), current):
                        break  # rule 1: the rest lies after the offset the next open seeks to

    def _seek_to_starts(self, consumer: AIOKafkaConsumer) -> None:
        """Rule 2: move each newly assigned partition to where its committed work ends. Runs
        in the fetch loop with no await since it saw the intake open, so the partitions are
        ours (a wake-up that finds it closed again leaves the seeks to the next open)."""
        if not self._open.is_set():
            return
        starts, self._starts = self._starts, {}
        for tp, offset in starts.items():
            consumer.seek(tp, offset)

    # -- committing -------------------------------------------------------------------------

    async def _commit_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.commit_interval_s)
            await self._commit()

    async def _commit(self, only: Iterable[Partition] | None = None) -> None:
        consumer = self._consumer
        if consumer is None:
            return
        chosen = self._assigned if only is None else frozenset(only) & self._assigned
        offsets: dict[Partition, int] = {}
        for runner in self._runners.values():
            for partition, offset in runner.committable().items():
                if partition in chosen and self._committed.get(partition) != offset:
                    offsets[partition] = offset
        if not offsets:
            return
        try:
            await consumer.commit({TopicPartition(t, p): o for (t, p), o in offsets.items()})
        except KafkaError as error:  # a rebalance is under way: the revoke path commits
            _log.info("intake: commit deferred (%s)", type(error).__name__)
            return
        except Exception as error:  # never lose the loop (or a revoke) to a failed commit
            _log.warning("intake: commit failed (%s); the next one retries", type(error).__name__)
            return
        self._committed.update(offsets)

    # -- rebalancing ------------------------------------------------------------------------

    def _close(self) -> None:
        self._open.clear()
        self._generation += 1

    async def _settle(self, partitions: Iterable[Partition], timeout: float) -> int:
        chosen = list(partitions)
        left = await asyncio.gather(
            *(runner.settle(chosen, timeout) for runner in self._runners.values())
        )
        return sum(left)

    async def _release(self, partitions: Iterable[Partition]) -> None:
        chosen = list(partitions)
        for runner in self._runners.values():
            await runner.release(chosen)
        for hook in self._hooks:
            hook.revoked([p for p in chosen if p[0] in hook.topics])
        for partition in chosen:
            self._committed.pop(partition, None)

    async def on_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self.rebalancing = True
        self._close()
        self._starts = {}
        partitions = [(tp.topic, tp.partition) for tp in revoked]
        left = 0
        try:
            left = await self._settle(partitions, self.config.revoke_timeout_s)
            await self._commit(partitions)
        finally:  # whatever failed above, nothing of these partitions stays in flight
            await self._release(partitions)
            self._assigned = self._assigned - set(partitions)
        if left:
            _log.warning("rebalance: abandoned %d in-flight items (processed again later)", left)
            if self._metrics is not None:
                self._metrics.error("abandoned_on_revoke", "intake")

    async def on_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        tps = list(assigned)
        delay = 0.5
        while True:  # the intake stays closed until the assignment is fully taken over
            try:
                starts = await self._take_over(tps)
                break
            except Exception as error:  # broker unreachable mid-rebalance: try again
                if self._stopping:
                    return
                _log.warning(
                    "rebalance: taking over %d partitions failed (%s); retrying in %.1fs",
                    len(tps),
                    type(error).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        partitions = [(tp.topic, tp.partition) for tp in tps]
        self._assigned = frozenset(partitions)
        self.rebalancing = False
        _log.info(
            "assigned to group %s: %s", self.config.group, ", ".join(sorted(starts)) or "none"
        )
        if not self._stopping and self.paused_reason is None:
            self._generation += 1
            self._open.set()

    async def _take_over(self, tps: Sequence[TopicPartition]) -> list[str]:
        """Find where each assigned partition starts (its committed offset, else its first
        offset) for the fetch loop to seek to, and load stage state."""
        consumer = self._consumer
        starts: dict[TopicPartition, int] = {}
        # A new run starts at the committed offset: nothing from before may linger in flight.
        await self._release([(tp.topic, tp.partition) for tp in tps])
        if consumer is not None:
            for tp in tps:
                committed = await consumer.committed(tp)
                if committed is not None:
                    starts[tp] = committed
                    self._committed[(tp.topic, tp.partition)] = committed
            never = [tp for tp in tps if tp not in starts]
            if never:  # auto_offset_reset=earliest, made explicit so the seek covers them too
                starts |= await consumer.beginning_offsets(never)
        partitions = [(tp.topic, tp.partition) for tp in tps]
        for hook in self._hooks:
            await hook.assigned([p for p in partitions if p[0] in hook.topics])
        self._starts = starts
        return [
            f"{tp.topic}[{tp.partition}]@{offset}"
            + ("" if (tp.topic, tp.partition) in self._committed else " (first offset)")
            for tp, offset in starts.items()
        ]

    # -- health -----------------------------------------------------------------------------

    def report(self) -> str:
        """The intake's state for an operator (the worker logs it on SIGUSR1): open or closed,
        generation, assignment with committed offsets and fetch positions, each runner's work
        in flight and where the fetch loop waits. Code locations and offsets only, no payloads.
        """
        consumer = self._consumer
        lines = [
            f"intake {self.config.group}: open={self._open.is_set()} "
            f"generation={self._generation} rebalancing={self.rebalancing} "
            f"paused={self.paused_reason!r} stopping={self._stopping} failed={self.failed!r}"
        ]
        for topic, number in sorted(self._assigned):
            tp = TopicPartition(topic, number)
            position = highwater = None
            if consumer is not None:
                highwater = consumer.highwater(tp)
                state = consumer._subscription.subscription  # diagnostics only
                assignment = state.assignment if state is not None else None
                if assignment is not None and tp in assignment.tps:
                    tp_state = assignment.state_value(tp)
                    position = (
                        f"{getattr(tp_state, '_position', '?')} "
                        f"({getattr(tp_state, '_status', '?')}, "
                        f"paused={getattr(tp_state, 'paused', '?')})"
                    )
            lines.append(
                f"  {topic}[{number}]: committed={self._committed.get((topic, number))} "
                f"position={position} highwater={highwater}"
            )
        for task in self._tasks:
            lines.append(f"  {task.get_name()}: {suspended_at(task)}")
        for runner in self._runners.values():
            lines.extend(runner.report())
        return "\n".join(lines)

    def lag(self) -> list[PartitionLag]:
        """Log-end offset minus committed offset for each assigned partition."""
        consumer = self._consumer
        if consumer is None:
            return []
        lags: list[PartitionLag] = []
        for topic, number in sorted(self._assigned):
            highwater = consumer.highwater(TopicPartition(topic, number))
            if highwater is None:
                continue
            committed = self._committed.get((topic, number), 0)
            lags.append(
                PartitionLag(topic, number, self.config.group, max(0, highwater - committed))
            )
        return lags


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    def __init__(self, intake: Intake) -> None:
        self._intake = intake

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        await self._intake.on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        await self._intake.on_assigned(assigned)
