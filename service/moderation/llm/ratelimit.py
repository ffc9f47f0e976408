"""Client-side adaptive rate limiting, sized from the API's ``anthropic-ratelimit-*`` headers.

Each model has token buckets for requests, input tokens and output tokens. A bucket does not
exist until a response has told us its limit (so nothing is throttled before the API speaks).
Every response, including a 429, resizes the bucket: capacity = ``*-limit``, refill =
limit / 60 per second (the API's limits are per minute), and the level never rises above what
the API says is ``*-remaining``. A 429's ``retry-after`` pauses every caller of that model.

Callers *reserve* before a call: the buckets are debited at once (they may go negative) and the
caller waits until the debt is refilled. A reservation that would wait longer than the caller's
bound is refused instead (nothing debited), so no call ever waits without limit.

Until the first answer the limiter knows no limit, so the first call goes alone (a probe) and
the others wait for its answer, at most ``PROBE_WAIT_S`` (a slow first item must not hold up the
rest), then go anyway: a worker starting on a backlog does not send a whole window of calls
into a limit it has not been told yet.
Pure logic with an injected clock; :meth:`AdaptiveLimiter.acquire` is the only await.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from moderation.errors import TierUnavailable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

HEADER_PREFIX = "anthropic-ratelimit-"
BUCKETS: tuple[str, ...] = ("requests", "input-tokens", "output-tokens")
WINDOW_S = 60.0
PROBE_POLL_S = 0.02
PROBE_WAIT_S = 2.0


class RateLimitWait(TierUnavailable):
    """The local limiter would make this call wait longer than allowed."""

    def __init__(self, model: str, wait_s: float) -> None:
        super().__init__(model, f"rate limited locally (next capacity in {wait_s:.1f}s)")
        self.wait_s = wait_s


@dataclass
class Bucket:
    capacity: float
    level: float
    updated: float

    @property
    def rate_per_s(self) -> float:
        return self.capacity / WINDOW_S

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.level = min(self.capacity, self.level + elapsed * self.rate_per_s)
        self.updated = now

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` fits (the bucket may already be in debt)."""
        if self.capacity <= 0:
            return math.inf
        # A demand above capacity could never fit whole; it waits for a full bucket instead.
        short = min(amount, self.capacity) - self.level
        return max(0.0, short / self.rate_per_s)


@dataclass(frozen=True)
class Demand:
    """What one call will use: one request, its estimated input and its max output tokens."""

    input_tokens: int = 0
    output_tokens: int = 0

    def amounts(self) -> dict[str, float]:
        return {
            "requests": 1.0,
            "input-tokens": float(self.input_tokens),
            "output-tokens": float(self.output_tokens),
        }


class AdaptiveLimiter:
    """The buckets of one model."""

    def __init__(self, model: str, clock: Clock = time.monotonic) -> None:
        self.model = model
        self._clock = clock
        self._buckets: dict[str, Bucket] = {}
        self._paused_until = 0.0
        self._answered = False  # an answer (any status) has come back: the probe is over
        self._probing = False  # a first call is out and nothing has answered yet

    def bucket(self, name: str) -> Bucket | None:
        return self._buckets.get(name)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def observe(self, headers: Mapping[str, str]) -> None:
        """Resize the buckets from a response's rate-limit headers (missing ones are skipped)."""
        self._answered = True
        now = self._clock()
        for name in BUCKETS:
            limit = _number(headers.get(f"{HEADER_PREFIX}{name}-limit"))
            remaining = _number(headers.get(f"{HEADER_PREFIX}{name}-remaining"))
            if limit is None or limit <= 0:
                continue
            bucket = self._buckets.get(name)
            if bucket is None:
                start = limit if remaining is None else remaining
                self._buckets[name] = Bucket(capacity=limit, level=start, updated=now)
                continue
            bucket.refill(now)
            bucket.capacity = limit
            bucket.level = min(bucket.level, limit)
            if remaining is not None:
                bucket.level = min(bucket.level, remaining)

    def pause(self, seconds: float) -> None:
        """The API said ``retry-after``: nobody calls this model before then."""
        if seconds > 0:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def reserve(self, demand: Demand, max_wait_s: float) -> float:
        """Debit ``demand`` and return how long to wait before calling; raise
        :class:`RateLimitWait` (debiting nothing) when that is longer than ``max_wait_s``."""
        now = self._clock()
        wait = max(0.0, self._paused_until - now)
        amounts = demand.amounts()
        for name, bucket in self._buckets.items():
            bucket.refill(now)
            wait = max(wait, bucket.wait_for(amounts.get(name, 0.0)))
        if wait > max_wait_s:
            raise RateLimitWait(self.model, wait)
        for name, bucket in self._buckets.items():
            bucket.level -= min(amounts.get(name, 0.0), bucket.capacity)
        return wait

    def attempt_ended(self) -> None:
        """A call is over, answered or not: a probe that got no answer lets the next call probe."""
        self._probing = False

    async def acquire(
        self, demand: Demand, max_wait_s: float, sleep: Sleep = asyncio.sleep
    ) -> float:
        """Reserve and wait; returns the seconds waited."""
        waited = 0.0
        bound = min(max_wait_s, PROBE_WAIT_S)
        while not self._answered and self._probing and waited < bound:
            step = min(PROBE_POLL_S, bound - waited)
            await sleep(step)
            waited += step
        if not self._answered:
            self._probing = True  # this call is the probe (or the others waited long enough)
        wait = self.reserve(demand, max(0.0, max_wait_s - waited))
        if wait > 0:
            await sleep(wait)
        return waited + wait


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def estimate_input_tokens(*parts: object) -> int:
    """A rough count (4 characters per token) of what a call sends, for the input bucket."""
    return sum(len(str(part)) for part in parts) // 4 + 1
