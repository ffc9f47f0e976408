"""Per-partition bookkeeping: which offsets are in flight, and how far a commit may go.

Work on a partition can finish out of order (a slow LLM call at offset 5, fast ones at 6 and 7).
Committing offset 8 while 5 is unfinished would lose 5 on a crash, so the committable position
of a partition only moves past an offset once every earlier offset started on it has finished.

Offsets need not be contiguous (transaction markers and compaction leave holes): the tracker
orders work by the offsets it was given, never by ``offset + 1`` arithmetic. What it is given
is exactly what the consumer returned, in order (the intake owns fetching and seeking), so there
is nothing to detect here, only to count.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field


@dataclass
class _Partition:
    started: dict[int, bool] = field(default_factory=dict)  # offset -> finished, in offset order
    committable: int | None = None  # the offset after the last released one


class OffsetTracker:
    """Started and finished offsets per partition; :meth:`committable` says what to commit."""

    def __init__(self) -> None:
        self._partitions: dict[Hashable, _Partition] = {}

    def start(self, partition: Hashable, offset: int) -> None:
        """Register work on ``offset``; offsets of one partition must be started in order."""
        state = self._partitions.setdefault(partition, _Partition())
        last = next(reversed(state.started), None)
        if last is not None and offset <= last:
            raise ValueError(f"offset {offset} of {partition!r} is not after {last}")
        if last is None and state.committable is not None and offset < state.committable:
            raise ValueError(f"offset {offset} of {partition!r} was already released")
        state.started[offset] = False

    def finish(self, partition: Hashable, offset: int) -> bool:
        """Mark ``offset`` done; returns False when the partition was revoked meanwhile."""
        state = self._partitions.get(partition)
        if state is None or offset not in state.started:
            return False
        state.started[offset] = True
        for pending, finished in list(state.started.items()):
            if not finished:
                break
            del state.started[pending]
            state.committable = pending + 1
        return True

    def committable(self) -> dict[Hashable, int]:
        """Per partition, the offset a commit may store (everything before it is finished)."""
        return {
            partition: state.committable
            for partition, state in self._partitions.items()
            if state.committable is not None
        }

    def in_flight(self, partitions: Iterable[Hashable] | None = None) -> int:
        """How many offsets are started but not yet released (for some partitions or all)."""
        chosen = self._partitions if partitions is None else set(partitions)
        return sum(
            len(state.started)
            for partition, state in self._partitions.items()
            if partition in chosen
        )

    def describe(self) -> dict[Hashable, str]:
        """Per partition: committable offset, first unfinished offset and how many are open."""
        described: dict[Hashable, str] = {}
        for partition, state in self._partitions.items():
            unfinished = [offset for offset, done in state.started.items() if not done]
            first = unfinished[0] if unfinished else None
            described[partition] = (
                f"committable={state.committable} first_unfinished={first} "
                f"started={len(state.started)} unfinished={len(unfinished)}"
            )
        return described

    def forget(self, partition: Hashable) -> None:
        """Drop a revoked partition: its unfinished work will never be committed by us."""
        self._partitions.pop(partition, None)
