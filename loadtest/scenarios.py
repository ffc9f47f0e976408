"""Scenarios: when each item is sent, relative to the start of the run (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scenario(StrEnum):
    STEADY = "steady"  # a constant rate
    BURST = "burst"  # the base rate, with 2 s bursts at 4x every 8 s
    BACKLOG = "backlog"  # everything waits in the topic before the worker starts


@dataclass(frozen=True)
class Shape:
    scenario: Scenario
    rate: float  # items per second (base rate for bursts; unused for a backlog)
    burst_factor: float = 4.0
    burst_s: float = 2.0
    period_s: float = 8.0

    def rate_at(self, t: float) -> float:
        if self.scenario is Scenario.BURST and (t % self.period_s) < self.burst_s:
            return self.rate * self.burst_factor
        return self.rate

    def send_times(self, items: int) -> list[float]:
        """Seconds after the start at which each item goes out (all zero for a backlog)."""
        if self.scenario is Scenario.BACKLOG:
            return [0.0] * items
        if self.rate <= 0:
            raise ValueError("steady and burst scenarios need a positive rate")
        times: list[float] = []
        t = 0.0
        for _ in range(items):
            times.append(t)
            t += 1.0 / self.rate_at(t)
        return times
