"""The verdict store: an in-process map bounded by size (LRU) and age (TTL).

Every worker keeps its own; nothing is shared through Kafka and nothing survives a restart
(a cold cache only costs model calls). Entries are keyed by a digest
(:mod:`moderation.cache.keys`), so the store never holds content, and each verdict is kept as
its compact JSON: about a quarter of the memory of the model object (see
``loadtest/README.md``, memory), for a parse of some microseconds on a hit.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from moderation_contracts import Verdict


@dataclass
class StoreCounters:
    evicted: int = 0  # pushed out by the size bound
    expired: int = 0  # older than the age bound when looked up or swept


class VerdictStore:
    """At most ``max_entries`` verdicts, each at most ``max_age_s`` old."""

    def __init__(
        self,
        max_entries: int,
        max_age_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1 or max_age_s <= 0:
            raise ValueError("a verdict store needs max_entries >= 1 and max_age_s > 0")
        self.max_entries = max_entries
        self.max_age_s = max_age_s
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self.counters = StoreCounters()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Verdict | None:
        """The fresh verdict under ``key`` (now the most recently used), or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored_at, raw = entry
        if self._clock() - stored_at >= self.max_age_s:
            del self._entries[key]
            self.counters.expired += 1
            return None
        self._entries.move_to_end(key)
        return Verdict.model_validate_json(raw)

    def put(self, key: str, verdict: Verdict) -> None:
        """Store ``verdict``; the least recently used entries go when the store is full."""
        self._entries[key] = (self._clock(), verdict.model_dump_json().encode())
        self._entries.move_to_end(key)
        self._sweep()
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
            self.counters.evicted += 1

    def _sweep(self) -> None:
        """Drop expired entries from the least recently used end (``get`` catches the rest)."""
        now = self._clock()
        while self._entries:
            key, (stored_at, _) = next(iter(self._entries.items()))
            if now - stored_at < self.max_age_s:
                return
            del self._entries[key]
            self.counters.expired += 1
