"""CPU and resident memory of the worker processes, sampled while a run goes on.

CPU is read from ``/proc/<pid>/stat`` (see ``processes.cpu_seconds``) at the start and the end;
resident memory (``VmRSS``) every half second, next to how many items had a terminal record by
then, so the summary can say what each worker held after a quarter, half and all of the items.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.processes import cpu_seconds

#: Shares of the items at which the summary reports memory.
MILESTONES = (0.0, 0.25, 0.5, 0.75, 1.0)


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MiB (Linux /proc; 0.0 where unavailable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return 0.0
    return 0.0


@dataclass(frozen=True)
class Sample:
    at_s: float
    completed: int
    rss_mb: tuple[float, ...]


@dataclass
class Usage:
    """Samples of the processes ``pids`` while ``progress()`` counts finished items."""

    pids: Sequence[int]
    progress: Callable[[], int]
    samples: list[Sample] = field(default_factory=list)
    cpu_start: tuple[float, ...] = ()
    cpu_end: tuple[float, ...] = ()

    def sample(self) -> None:
        self.samples.append(
            Sample(time.monotonic(), self.progress(), tuple(rss_mb(p) for p in self.pids))
        )

    def start(self) -> None:
        self.cpu_start = tuple(cpu_seconds(p) for p in self.pids)
        self.sample()

    def stop(self) -> None:
        self.cpu_end = tuple(cpu_seconds(p) for p in self.pids)
        self.sample()

    async def watch(self, interval_s: float = 0.5) -> None:
        """Sample until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            self.sample()

    def cpu_s(self) -> list[float]:
        """CPU seconds each process used between ``start`` and ``stop``."""
        return [
            round(end - begin, 3) for begin, end in zip(self.cpu_start, self.cpu_end, strict=True)
        ]

    def summary(self, items: int) -> dict[str, Any]:
        """CPU per process, and each process's RSS when each milestone share of items was done."""
        rss: dict[str, list[float]] = {}
        for share in MILESTONES:
            wanted = share * items
            reached = next((s for s in self.samples if s.completed >= wanted), None)
            if reached is not None:
                rss[f"{share:.0%}"] = [round(mb, 1) for mb in reached.rss_mb]
        return {"cpu_s": self.cpu_s(), "rss_mb": rss}


def rss_growth(summary: dict[str, Any]) -> float | None:
    """Largest RSS growth of any worker from half of the items to all of them, as a share."""
    rss = summary.get("rss_mb", {})
    half, end = rss.get("50%"), rss.get("100%")
    if not half or not end:
        return None
    growth = [(b - a) / a for a, b in zip(half, end, strict=True) if a > 0]
    return round(max(growth), 4) if growth else None
