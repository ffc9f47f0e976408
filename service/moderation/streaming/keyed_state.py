"""Per-item state of the partitions a worker owns, written through to a compacted topic.

A stage that must remember something per item across restarts and rebalances (finalize: the
open task; the appeal stage: the last final decision and its appeals) keeps it here:

- in memory, per partition of the stage's (internal, service-keyed) input topic;
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
restore honours).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition

from moderation.streaming.records import Outbound
from moderation.streaming.runner import Partition, Sender
from moderation_contracts import ContractError, Payload, dump_payload, parse_payload

_log = logging.getLogger(__name__)


S = TypeVar("S", bound=Payload)


class KeyedStateStore(Generic[S]):
    """Mixin of the stores: subclasses (dataclasses) give the fields declared here."""

    label: str
    """For logs: whose state this is (finalize, appeal)."""
    state_model: type[S]
    bootstrap_servers: str
    client_options: dict[str, object]
    states: dict[int, dict[str, S]]
    asked: dict[str, datetime]
    """When :meth:`ask_owners` last sent an event for an item (not repeated at once)."""

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
        return self.states.get(partition, {}).get(content_id)

    def put(self, partition: int, state: S) -> Outbound:
        """Keep ``state`` and return the record that writes it through (same partition)."""
        content_id: str = getattr(state, "content_id")  # noqa: B009 - every state payload has it
        self.states.setdefault(partition, {})[content_id] = state
        return Outbound(
            topic=self.state_topic,
            key=content_id.encode(),
            value=dump_payload(state),
            route="state",
            partition=partition,
        )

    def drop(self, partition: int, content_id: str) -> Outbound:
        """Forget the item and return the tombstone that removes it from the state topic."""
        self.states.get(partition, {}).pop(content_id, None)
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
    ) -> int:
        """Send ``event_for(content_id)`` on the stage's input topic, keyed by the item, for
        each item of the owned partitions that is ``due``, at most once per ``repeat_after``;
        the stage's handler does the work."""
        sent = 0
        for states in list(self.states.values()):
            for content_id, state in list(states.items()):
                if not due(state):
                    continue
                last = self.asked.get(content_id)
                if last is not None and last > now - repeat_after:
                    continue
                record = Outbound(
                    topic=self.events_topic,
                    key=content_id.encode(),
                    value=dump_payload(event_for(content_id)),
                    route=route,
                )
                await sender.send(record, ())
                self.asked[content_id] = now
                sent += 1
        return sent

    async def assigned(self, partitions: Sequence[Partition]) -> None:
        if partitions:
            self.states.update(await self._restore(sorted({number for _, number in partitions})))

    def revoked(self, partitions: Sequence[Partition]) -> None:
        for _, number in partitions:
            for content_id in self.states.pop(number, {}):
                self.forget(content_id)

    def forget(self, content_id: str) -> None:
        """The item left this worker's memory (dropped, or its partition moved away)."""
        self.asked.pop(content_id, None)

    async def _restore(self, numbers: Sequence[int]) -> dict[int, dict[str, S]]:
        """Read the state topic's ``numbers`` partitions from the beginning to their end, all
        with one consumer (one connection per rebalance, not one per partition)."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            enable_auto_commit=False,
            **self.client_options,
        )
        await consumer.start()
        restored: dict[int, dict[str, S]] = {number: {} for number in numbers}
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
                        self._replay(restored[tp.partition], tp, record)
                pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        finally:
            await consumer.stop()
        for number, states in restored.items():
            _log.info(
                "%s state of partition %d restored: %d items", self.label, number, len(states)
            )
        return restored

    def _replay(self, states: dict[str, S], tp: TopicPartition, record: Any) -> None:
        """Apply one state record (a tombstone forgets the item)."""
        content_id = record.key.decode() if record.key else ""
        if record.value is None:
            states.pop(content_id, None)
            return
        try:
            states[content_id] = parse_payload(self.state_model, record.value)
        except ContractError:
            _log.error(
                "%s state %s[%d]@%d unreadable", self.label, tp.topic, tp.partition, record.offset
            )


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
