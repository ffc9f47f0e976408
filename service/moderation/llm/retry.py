"""The gateway's retry policy: which failures are retried, and how long to wait in between.

The SDK's own retry loop is switched off (``max_retries=0``) so that exactly one loop decides,
and that loop can see every attempt: it feeds each response's rate-limit headers to the limiter,
stops as soon as the model's circuit opens, and keeps the whole call inside a time budget.
Pure logic, no I/O.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

RETRYABLE_STATUS = frozenset({408, 409, 429})


def is_retryable_status(status: int) -> bool:
    """Worth another attempt: request timeout, conflict, rate limit, and any server error."""
    return status in RETRYABLE_STATUS or status >= 500


def retry_after_s(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the API asked us to wait: ``retry-after-ms``, else ``retry-after`` (seconds or an
    HTTP date). None when absent or unreadable."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        value = email.utils.mktime_tz(parsed) - (time.time() if now is None else now)
        return max(0.0, value)
    return value if math.isfinite(value) and value >= 0 else None


@dataclass(frozen=True)
class RetryPolicy:
    """At most ``max_retries`` more attempts, all inside ``budget_s`` from the first attempt."""

    max_retries: int = 2
    budget_s: float = 20.0
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    retry_after_max_s: float = 20.0

    def delay(self, retry: int, retry_after: float | None, jitter: float) -> float:
        """Wait before retry number ``retry`` (1-based). ``retry-after`` wins (capped);
        otherwise exponential backoff, reduced by up to 25% with ``jitter`` in [0, 1)."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_max_s)
        backoff: float = min(self.base_delay_s * 2.0 ** (retry - 1), self.max_delay_s)
        return backoff * (1 - 0.25 * jitter)

    def next_delay(
        self, retry: int, retry_after: float | None, jitter: float, remaining_s: float
    ) -> float | None:
        """The wait before retry ``retry``, or None when retries or the budget are used up
        (a wait that leaves less than a tenth of a second for the attempt is not worth it)."""
        if retry > self.max_retries:
            return None
        if retry_after is not None and retry_after > self.retry_after_max_s:
            return None  # the API asks for longer than we may wait: let the fail mode decide
        wait = self.delay(retry, retry_after, jitter)
        if wait + 0.1 >= remaining_s:
            return None
        return wait
