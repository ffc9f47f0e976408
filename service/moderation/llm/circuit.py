"""A circuit breaker per model: stop calling a tier that keeps failing, probe it now and then.

Closed: calls pass; ``failure_threshold`` consecutive unavailable-type failures (what is still
failing after the gateway's retries: 429, 5xx, timeouts, dropped connections) open it. Open:
calls are refused at once, so the stage routes the item by the policy's fail mode instead of
waiting. After ``cool_down_s`` it is half-open: exactly one call goes through as a probe; its
success closes the circuit, its failure opens it for another cool-down. Pure logic, no I/O.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

_log = logging.getLogger(__name__)

Clock = Callable[[], float]


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class CircuitConfig:
    failure_threshold: int = 5
    cool_down_s: float = 30.0

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.cool_down_s <= 0:
            raise ValueError("failure_threshold must be >= 1 and cool_down_s > 0")


class CircuitBreaker:
    """State machine for one model. Call :meth:`allow` before a call, then exactly one of
    :meth:`record_success`, :meth:`record_failure` or :meth:`abandon` (cancelled, no verdict)."""

    def __init__(self, name: str, config: CircuitConfig, clock: Clock = time.monotonic) -> None:
        self.name = name
        self._config = config
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._probing or self._clock() - self._opened_at >= self._config.cool_down_s:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def retry_in(self) -> float:
        """Seconds until a probe may run (0 when calls pass now)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self._config.cool_down_s - self._clock())

    def allow(self) -> bool:
        """May a call start now? In half-open state only the first caller gets through."""
        state = self.state
        if state is CircuitState.CLOSED:
            return True
        if state is CircuitState.OPEN or self._probing:
            return False
        self._probing = True
        return True

    def record_success(self) -> None:
        if self._opened_at is not None:
            _log.warning("circuit for %s closed: the probe call succeeded", self.name)
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def record_failure(self) -> None:
        self._failures += 1
        if self._probing or (
            self._opened_at is None and self._failures >= self._config.failure_threshold
        ):
            _log.warning(
                "circuit for %s opened after %d consecutive failures; next probe in %.0fs",
                self.name,
                self._failures,
                self._config.cool_down_s,
            )
            self._opened_at = self._clock()
        self._probing = False

    def abandon(self) -> None:
        """The call ended without telling us anything (cancelled): free the probe slot."""
        self._probing = False
