"""Prompt-cache accounting: breakpoints, per-model minimum prefix, 5m/1h TTLs, reads and writes.

Entries live in memory keyed by a hash of the model id and the exact prefix up to a breakpoint.
A request reads the longest live prefix and writes the breakpoints after it that are long
enough; below the model's minimum nothing is cached and both counters stay 0.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from moderation_dev.simulator.request import Ttl
from moderation_dev.simulator.tokens import BASE_OVERHEAD, PromptBlock

TTL_SECONDS: dict[Ttl, float] = {"5m": 300.0, "1h": 3600.0}


@dataclass(frozen=True)
class CacheUsage:
    """How the input tokens of one request split between uncached, written and read."""

    input_tokens: int
    cache_read_input_tokens: int = 0
    ephemeral_5m_input_tokens: int = 0
    ephemeral_1h_input_tokens: int = 0

    @property
    def cache_creation_input_tokens(self) -> int:
        return self.ephemeral_5m_input_tokens + self.ephemeral_1h_input_tokens

    @property
    def total_input_tokens(self) -> int:
        return self.input_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens


@dataclass(frozen=True)
class _Breakpoint:
    digest: str
    prefix_tokens: int
    ttl: Ttl


def _breakpoints(model_id: str, blocks: Sequence[PromptBlock]) -> list[_Breakpoint]:
    running = hashlib.sha256(model_id.encode())
    prefix = BASE_OVERHEAD
    found: list[_Breakpoint] = []
    for block in blocks:
        running.update(b"\x00" + block.key.encode())
        prefix += block.tokens
        if block.cache_ttl is not None:
            found.append(_Breakpoint(running.copy().hexdigest(), prefix, block.cache_ttl))
    return found


class PromptCache:
    """The simulator's prompt cache (one per server; cleared by reset)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._expiry: dict[str, float] = {}

    def clear(self) -> None:
        self._expiry.clear()

    def account(
        self, model_id: str, min_tokens: int, blocks: Sequence[PromptBlock], *, write: bool = True
    ) -> CacheUsage:
        """Split a request's input tokens into uncached, cache-read and cache-write parts.

        With ``write=False`` (count_tokens, failed calls) nothing is stored or refreshed."""
        total = BASE_OVERHEAD + sum(block.tokens for block in blocks)
        now = self._clock()
        eligible = [bp for bp in _breakpoints(model_id, blocks) if bp.prefix_tokens >= min_tokens]
        hit_index = -1
        for index in range(len(eligible) - 1, -1, -1):
            if self._expiry.get(eligible[index].digest, 0.0) > now:
                hit_index = index
                break
        read = eligible[hit_index].prefix_tokens if hit_index >= 0 else 0
        written: dict[Ttl, int] = {"5m": 0, "1h": 0}
        covered = read
        for bp in eligible[hit_index + 1 :]:
            written[bp.ttl] += bp.prefix_tokens - covered
            covered = bp.prefix_tokens
            if write:
                self._expiry[bp.digest] = now + TTL_SECONDS[bp.ttl]
        if write and hit_index >= 0:
            hit = eligible[hit_index]
            self._expiry[hit.digest] = max(self._expiry[hit.digest], now + TTL_SECONDS[hit.ttl])
        return CacheUsage(
            input_tokens=total - covered,
            cache_read_input_tokens=read,
            ephemeral_5m_input_tokens=written["5m"],
            ephemeral_1h_input_tokens=written["1h"],
        )
