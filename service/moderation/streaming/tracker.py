"""Per-partition bookkeeping: admit records in offset order, release acks in offset order.

Work on a partition can finish out of order (a slow LLM call at offset 5, fast ones at 6 and 7).
Committing offset 8 while 5 is unfinished would lose 5 on a crash, so a finished offset is
released only once every earlier offset of its partition has finished too.

The tracker also checks what it is handed. Offsets of our topics are contiguous, so a record
that arrives past the next expected offset means earlier records were not delivered to the
stream (faust can drop a fetched record on its way to an agent). Starting it would let the
commit run past the missing ones: a silent loss. :meth:`OffsetTracker.admit` reports such a
gap instead, and the runner seeks the partition back to the first missing offset.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

T = TypeVar("T")


class Admission(Enum):
    START = "start"
    """The next record of the partition (or the first one seen): process it."""
    GAP = "gap"
    """Past the next expected offset: earlier records are missing; seek back, skip this one."""
    IN_FLIGHT = "in_flight"
    """A re-delivery of a record still being processed: skip it, do not ack it."""
    DONE = "done"
    """A re-delivery of a record already processed and released: ack it again, skip it."""
    BEHIND = "behind"
    """Before this run's first offset while other work is in flight: wait, then start it."""


@dataclass
class _Partition(Generic[T]):
    started: dict[int, T] = field(default_factory=dict)
    finished: set[int] = field(default_factory=set)
    expected: int | None = None  # the offset after the highest one started
    run_start: int | None = None  # the first offset started since the last reset


class OffsetTracker(Generic[T]):
    """Tracks started and finished offsets; ``finish`` returns what may be acked now, in order."""

    def __init__(self) -> None:
        self._partitions: dict[Hashable, _Partition[T]] = {}

    def admit(self, partition: Hashable, offset: int) -> Admission:
        """What to do with a record at ``offset``; nothing changes until ``start``."""
        state = self._partitions.get(partition)
        if state is None or state.expected is None or offset == state.expected:
            return Admission.START
        if offset > state.expected:
            return Admission.GAP
        if offset in state.started:
            return Admission.IN_FLIGHT
        if not state.started:
            return Admission.START  # a rewind with nothing in flight: a new run begins here
        assert state.run_start is not None
        return Admission.DONE if offset >= state.run_start else Admission.BEHIND

    def expected(self, partition: Hashable) -> int | None:
        state = self._partitions.get(partition)
        return state.expected if state else None

    def start(self, partition: Hashable, offset: int, token: T) -> None:
        """Register work on ``offset``; ``token`` comes back from ``finish`` when releasable."""
        state = self._partitions.setdefault(partition, _Partition())
        if offset in state.started:
            raise ValueError(f"offset {offset} of {partition!r} is already in flight")
        if state.started and offset < max(state.started):
            raise ValueError(f"offset {offset} of {partition!r} is behind work in flight")
        if not state.started and (state.expected is None or offset != state.expected):
            state.run_start = offset
        state.started[offset] = token
        state.expected = offset + 1

    def finish(self, partition: Hashable, offset: int) -> list[T]:
        """Mark ``offset`` done and return the tokens now releasable, lowest offset first."""
        state = self._partitions.get(partition)
        if state is None or offset not in state.started:
            raise KeyError(f"offset {offset} of {partition!r} was never started")
        state.finished.add(offset)
        released: list[T] = []
        for pending in list(state.started):  # insertion order is ascending offset order
            if pending not in state.finished:
                break
            released.append(state.started.pop(pending))
            state.finished.discard(pending)
        return released

    def in_flight(self, partition: Hashable | None = None) -> int:
        """How many offsets are started but not yet released (for one partition or all)."""
        if partition is not None:
            state = self._partitions.get(partition)
            return len(state.started) if state else 0
        return sum(len(state.started) for state in self._partitions.values())

    def reset(self, partition: Hashable) -> None:
        """Forget where the partition was (after it was assigned anew); keeps work in flight."""
        state = self._partitions.get(partition)
        if state is not None and not state.started:
            del self._partitions[partition]

    def forget(self, partition: Hashable) -> list[T]:
        """Drop a revoked partition's unreleased work; returns its tokens (never acked)."""
        state = self._partitions.pop(partition, None)
        return list(state.started.values()) if state else []
