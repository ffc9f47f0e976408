"""Per-item state of the partitions a worker owns, written through to a compacted topic.

A stage that must remember something per item across restarts and rebalances (finalize: the
open task; the appeal stage: the last final decision and its appeals) keeps it here:

- in a :class:`StateTable` (SQLite's private temporary database: serialized states on a
  local file that lives as long as the process, behind a small page cache, so a worker's memory
  does not grow with the items it remembers), per partition of the stage's (internal,
  service-keyed) input topic;
- written through to a compacted state topic, to the same partition number as the input record
  it came from (:meth:`KeyedStateStore.put` returns that record: it is one of the input
  record's outputs, so it is acknowledged before the input offset is committed);
- read back, partition by partition, when the intake assigns a partition
  (:meth:`KeyedStateStore.assigned`, before any record of it is handed over), and dropped when
  the partition is revoked.

Re-processing a record after a crash finds the state it already wrote.

State that is no longer needed goes through the same path: :meth:`KeyedStateStore.ask_owners`
(run every so often by :func:`sweep_forever`) sends an event for each item a rule says is due
on the stage's own input topic, keyed like the item's other events, so the partition's owner
handles it in order with them and decides again against the state it then holds (a park
expiry in finalize, :meth:`KeyedStateStore.drop` in the appeal stage, whose tombstone the
restore honours). A sweep reads only the states its rule may apply to: the :meth:`marked`
ones (an index), or those whose :meth:`due_at`, kept beside each state, has come.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition

from moderation.streaming.records import Outbound
from moderation.streaming.runner import Partition, Sender
from moderation_contracts import ContractError, Payload, dump_payload, parse_payload

_log = logging.getLogger(__name__)


S = TypeVar("S", bound=Payload)

#: How many states a sweep reads before it lets the event loop run other work.
SWEEP_SLICE = 256


class StateTable:
    """Serialized states by (partition, key) in SQLite's private temporary database.

    The database is the process's own: SQLite unlinks its file at once, so nothing is left
    behind when the worker stops or is killed (the compacted topic is the record; this is only
    the copy for the partitions this worker owns). Pages beyond the cache spill to that file
    (under ``SQLITE_TMPDIR`` or ``TMPDIR``, else ``/var/tmp`` or ``/tmp``).
    """

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")  # a copy: nothing to roll back to
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(
            "CREATE TABLE state (part INTEGER, key TEXT, value BLOB, marked INTEGER, due REAL,"
            " PRIMARY KEY (part, key)) WITHOUT ROWID"
        )
        self._db.execute("CREATE INDEX marked_states ON state (part, marked)")
        self._db.execute("CREATE INDEX due_states ON state (part, due)")

    def get(self, partition: int, key: str) -> bytes | None:
        row = self._db.execute(
            "SELECT value FROM state WHERE part = ? AND key = ?", (partition, key)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def put(
        self,
        partition: int,
        key: str,
        value: bytes,
        marked: bool = False,
        due: datetime | None = None,
    ) -> None:
        """Keep ``value``; ``due``: from when a sweep's rule may apply to it (None: not yet
        known to; :meth:`keys` with ``due_by`` skips it)."""
        self._db.execute(
            "INSERT OR REPLACE INTO state (part, key, value, marked, due) VALUES (?, ?, ?, ?, ?)",
            (partition, key, value, int(marked), None if due is None else due.timestamp()),
        )

    def delete(self, partition: int, key: str) -> None:
        self._db.execute("DELETE FROM state WHERE part = ? AND key = ?", (partition, key))

    def keys(
        self, partition: int, marked_only: bool = False, due_by: datetime | None = None
    ) -> list[str]:
        """The partition's keys: all, only the marked ones, or only those due by ``due_by``."""
        where = "part = ? AND marked >= ?"
        args: list[float] = [partition, int(marked_only)]
        if due_by is not None:
            where, args = f"{where} AND due <= ?", [*args, due_by.timestamp()]
        query = f"SELECT key FROM state WHERE {where} ORDER BY key"  # noqa: S608 - values bound
        rows = self._db.execute(query, args)
        return [key for (key,) in rows]

    def partitions(self) -> list[int]:
        return [part for (part,) in self._db.execute("SELECT DISTINCT part FROM state")]

    def count(self, partition: int) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM state WHERE part = ?", (partition,))
        return int(row.fetchone()[0])

    def drop_partition(self, partition: int) -> list[str]:
        """Forget a partition; returns the keys it held."""
        keys = self.keys(partition)
        self._db.execute("DELETE FROM state WHERE part = ?", (partition,))
        return keys


class KeyedStateStore(Generic[S]):
    """Mixin of the stores: subclasses (dataclasses) give the fields declared here."""

    label: str
    """For logs: whose state this is (finalize, appeal)."""
    state_model: type[S]
    bootstrap_servers: str
    client_options: dict[str, object]
    table: StateTable
    asked: dict[str, dict[str, datetime]]
    """When :meth:`ask_owners` last sent an event for an item, by route (not repeated at once;
    one rule's request does not hold up another's)."""

    @property
    def state_topic(self) -> str:
        raise NotImplementedError

    @property
    def events_topic(self) -> str:
        raise NotImplementedError

    @property
    def topics(self) -> frozenset[str]:
        """The input whose partitions this state follows (for the intake's hooks)."""
        return frozenset({self.events_topic})

    def get(self, partition: int, content_id: str) -> S | None:
        raw = self.table.get(partition, content_id)
        return None if raw is None else self.state_model.model_validate_json(raw)

    def marked(self, state: S) -> bool:
        """Whether ``state`` is one of the few that rules over a whole partition look at
        (finalize: items with parked answers); they are found without reading the rest."""
        return False

    def due_at(self, state: S) -> datetime | None:
        """From when a sweep's rule may apply to ``state`` (the appeal stage: when it may be
        forgotten), kept beside it so the sweep reads only the states that are due; None: not
        until something happens to it. The rule is checked again when the sweep reads it."""
        return None

    def marked_states(self, partition: int) -> list[S]:
        """The :meth:`marked` states of one partition."""
        found = (self.get(partition, key) for key in self.table.keys(partition, marked_only=True))
        return [state for state in found if state is not None]

    def put(self, partition: int, state: S) -> Outbound:
        """Keep ``state`` and return the record that writes it through (same partition)."""
        content_id: str = getattr(state, "content_id")  # noqa: B009 - every state payload has it
        value = dump_payload(state)
        self._keep(partition, content_id, value, state)
        return Outbound(
            topic=self.state_topic,
            key=content_id.encode(),
            value=value,
            route="state",
            partition=partition,
        )

    def reindex(self, partition: int, state: S) -> None:
        """Work out :meth:`marked` and :meth:`due_at` of a kept state again (its rule's inputs
        changed, the state did not): nothing is written through."""
        content_id: str = getattr(state, "content_id")  # noqa: B009 - every state payload has it
        raw = self.table.get(partition, content_id)
        if raw is not None:
            self._keep(partition, content_id, raw, state)

    def _keep(self, partition: int, content_id: str, value: bytes, state: S) -> None:
        """Put ``value`` (``state`` serialized) in the table with its :meth:`marked` and
        :meth:`due_at`."""
        self.table.put(partition, content_id, value, self.marked(state), self.due_at(state))

    def drop(self, partition: int, content_id: str) -> Outbound:
        """Forget the item and return the tombstone that removes it from the state topic."""
        self.table.delete(partition, content_id)
        self.forget(content_id)
        return Outbound(
            topic=self.state_topic,
            key=content_id.encode(),
            value=None,
            route="state_tombstone",
            partition=partition,
        )

    async def ask_owners(
        self,
        sender: Sender,
        now: datetime,
        due: Callable[[S], bool],
        event_for: Callable[[str], Payload],
        route: str,
        repeat_after: timedelta,
        marked_only: bool = False,
        due_by: datetime | None = None,
    ) -> int:
        """Send ``event_for(content_id)`` on the stage's input topic, keyed by the item, for
        each item of the owned partitions (only the :meth:`marked` ones if ``marked_only``,
        only those whose :meth:`due_at` is by ``due_by`` if given) that is ``due``, at most
        once per ``repeat_after``; the stage's handler does the work."""
        sent = 0
        read = 0
        for partition in self.table.partitions():
            for content_id in self.table.keys(partition, marked_only, due_by):
                read += 1
                if read % SWEEP_SLICE == 0:
                    await asyncio.sleep(0)  # a long sweep must not hold up the items
                state = self.get(partition, content_id)  # may have changed meanwhile
                if state is None or not due(state):
                    continue
                last = self.asked.get(content_id, {}).get(route)
                if last is not None and last > now - repeat_after:
                    continue
                record = Outbound(
                    topic=self.events_topic,
                    key=content_id.encode(),
                    value=dump_payload(event_for(content_id)),
                    route=route,
                )
                await sender.send(record, ())
                self.asked.setdefault(content_id, {})[route] = now
                sent += 1
        return sent

    async def assigned(self, partitions: Sequence[Partition]) -> None:
        if partitions:
            await self._restore(sorted({number for _, number in partitions}))

    def revoked(self, partitions: Sequence[Partition]) -> None:
        for _, number in partitions:
            for content_id in self.table.drop_partition(number):
                self.forget(content_id)

    def forget(self, content_id: str) -> None:
        """The item left this worker's memory (dropped, or its partition moved away)."""
        self.asked.pop(content_id, None)

    async def _restore(self, numbers: Sequence[int]) -> None:
        """Read the state topic's ``numbers`` partitions from the beginning to their end into
        the table (replacing what it held of them), all with one consumer (one connection per
        rebalance, not one per partition)."""
        for number in numbers:
            self.table.drop_partition(number)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            enable_auto_commit=False,
            **self.client_options,
        )
        await consumer.start()
        try:
            tps = [TopicPartition(self.state_topic, number) for number in numbers]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            pending = {tp for tp in tps if await consumer.position(tp) < ends[tp]}
            while pending:
                batch = await consumer.getmany(*pending, timeout_ms=1000)
                for tp, records in batch.items():
                    for record in records:
                        self._replay(tp, record)
                pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        finally:
            await consumer.stop()
        for number in numbers:
            _log.info(
                "%s state of partition %d restored: %d items",
                self.label,
                number,
                self.table.count(number),
            )

    def _replay(self, tp: TopicPartition, record: Any) -> None:
        """Apply one state record (a tombstone forgets the item)."""
        content_id = record.key.decode() if record.key else ""
        if record.value is None:
            self.table.delete(tp.partition, content_id)
            return
        try:
            state = parse_payload(self.state_model, record.value)  # only readable ones are kept
        except ContractError:
            _log.error(
                "%s state %s[%d]@%d unreadable", self.label, tp.topic, tp.partition, record.offset
            )
        else:
            self._keep(tp.partition, content_id, bytes(record.value), state)


def sweep_interval_s(max_age_s: float) -> float:
    """How often to look for states waiting out ``max_age_s``: a quarter of it, 1 s to 60 s."""
    return max(1.0, min(60.0, max_age_s / 4))


async def sweep_forever(
    label: str,
    sweep: Callable[[datetime], Awaitable[int]],
    interval_s: float,
    clock: Callable[[], datetime],
) -> None:
    """Every ``interval_s``, run ``sweep(now)``; a failed sweep is retried at the next turn."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            sent = await sweep(clock())
        except Exception as error:  # the next sweep tries again; nothing is lost meanwhile
            _log.warning("%s sweep failed (%s); retrying", label, type(error).__name__)
        else:
            if sent:
                _log.info("%s sweep: %d items handed to their owners", label, sent)
