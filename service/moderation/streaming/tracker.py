"""Per-partition bookkeeping that releases acks only in offset order.

Work on a partition can finish out of order (a slow LLM call at offset 5, fast ones at 6 and 7).
Committing offset 8 while 5 is unfinished would lose 5 on a crash, so a finished offset is
released only once every earlier offset of its partition has finished too.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Partition(Generic[T]):
    started: dict[int, T] = field(default_factory=dict)
    finished: set[int] = field(default_factory=set)


class OffsetTracker(Generic[T]):
    """Tracks started and finished offsets; ``finish`` returns what may be acked now, in order."""

    def __init__(self) -> None:
        self._partitions: dict[Hashable, _Partition[T]] = {}

    def start(self, partition: Hashable, offset: int, token: T) -> None:
        """Register work on ``offset``; ``token`` comes back from ``finish`` when releasable."""
        state = self._partitions.setdefault(partition, _Partition())
        if offset in state.started:
            raise ValueError(f"offset {offset} of {partition!r} is already in flight")
        state.started[offset] = token

    def finish(self, partition: Hashable, offset: int) -> list[T]:
        """Mark ``offset`` done and return the tokens now releasable, lowest offset first."""
        state = self._partitions.get(partition)
        if state is None or offset not in state.started:
            raise KeyError(f"offset {offset} of {partition!r} was never started")
        state.finished.add(offset)
        released: list[T] = []
        # Started offsets are inserted in consumption order, which Kafka guarantees ascending.
        for pending in list(state.started):
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

    def forget(self, partition: Hashable) -> list[T]:
        """Drop a revoked partition's unreleased work; returns its tokens (never acked)."""
        state = self._partitions.pop(partition, None)
        return list(state.started.values()) if state else []
