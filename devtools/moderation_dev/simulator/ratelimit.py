"""Token-bucket rate limits per model class, reported in ``anthropic-ratelimit-*`` headers.

Requests, input tokens (uncached input plus cache writes; cache reads are free, as on the
real API) and output tokens each have a per-minute bucket that refills continuously.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from moderation_dev.simulator.config import SimConfig
from moderation_dev.simulator.errors import ApiError
from moderation_dev.simulator.models import ModelClass

# Reported (but not enforced) when a limit is not configured.
_NOMINAL = {"requests": 50_000, "input-tokens": 10_000_000, "output-tokens": 2_000_000}


@dataclass
class _Bucket:
    capacity: float
    enforced: bool
    level: float
    stamp: float

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.capacity / 60.0)
        self.stamp = now

    def seconds_until(self, amount: float) -> float:
        missing = min(amount, self.capacity) - self.level
        return max(0.0, missing * 60.0 / self.capacity)


class RateLimiter:
    """All buckets of one simulator; ``check`` before answering, ``spend`` after."""

    def __init__(self, config: SimConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._buckets: dict[tuple[ModelClass, str], _Bucket] = {}

    def _bucket(self, model_class: ModelClass, name: str) -> _Bucket:
        key = (model_class, name)
        bucket = self._buckets.get(key)
        if bucket is None:
            limit = {
                "requests": self._config.rpm,
                "input-tokens": self._config.input_tpm,
                "output-tokens": self._config.output_tpm,
            }[name]
            capacity = float(limit if limit is not None else _NOMINAL[name])
            bucket = _Bucket(capacity, limit is not None, capacity, self._clock())
            self._buckets[key] = bucket
        bucket.refill(self._clock())
        return bucket

    def clear(self) -> None:
        self._buckets.clear()

    def check(self, model_class: ModelClass, input_tokens: int) -> None:
        """Raise a 429 (with retry-after and rate-limit headers) when a bucket is short."""
        needs = {"requests": 1.0, "input-tokens": float(input_tokens), "output-tokens": 1.0}
        wait = 0.0
        short: list[str] = []
        for name, amount in needs.items():
            bucket = self._bucket(model_class, name)
            if bucket.enforced and bucket.level < min(amount, bucket.capacity):
                short.append(name)
                wait = max(wait, bucket.seconds_until(amount))
        if short:
            headers = self.headers(model_class)
            headers["retry-after"] = str(max(1, math.ceil(wait)))
            raise ApiError(
                429,
                f"This request would exceed the rate limit for {model_class} "
                f"({', '.join(short)} per minute). Please retry after the time in retry-after.",
                headers,
            )

    def spend(self, model_class: ModelClass, input_tokens: int, output_tokens: int) -> None:
        for name, amount in (
            ("requests", 1),
            ("input-tokens", input_tokens),
            ("output-tokens", output_tokens),
        ):
            bucket = self._bucket(model_class, name)
            bucket.level = max(0.0, bucket.level - amount)

    def headers(self, model_class: ModelClass) -> dict[str, str]:
        """The ``anthropic-ratelimit-*`` headers for the class's current bucket levels."""
        now = datetime.now(UTC)
        result: dict[str, str] = {}
        totals = [0.0, 0.0, 0.0]  # limit, remaining, seconds to full
        for name in ("requests", "input-tokens", "output-tokens"):
            bucket = self._bucket(model_class, name)
            to_full = bucket.seconds_until(bucket.capacity)
            result[f"anthropic-ratelimit-{name}-limit"] = str(int(bucket.capacity))
            result[f"anthropic-ratelimit-{name}-remaining"] = str(int(bucket.level))
            result[f"anthropic-ratelimit-{name}-reset"] = _rfc3339(now + timedelta(seconds=to_full))
            if name != "requests":
                totals = [
                    totals[0] + bucket.capacity,
                    totals[1] + bucket.level,
                    max(totals[2], to_full),
                ]
        result["anthropic-ratelimit-tokens-limit"] = str(int(totals[0]))
        result["anthropic-ratelimit-tokens-remaining"] = str(int(totals[1]))
        result["anthropic-ratelimit-tokens-reset"] = _rfc3339(now + timedelta(seconds=totals[2]))
        return result


def _rfc3339(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")
