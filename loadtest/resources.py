"""Worker footprint over a run: verdict cache entries (from /metrics) and resident memory.

A sampler thread reads each worker every few seconds; the report prints the first sample, those
at a quarter, half and three quarters of the run, and the last, so a cache or memory that keeps
growing over a long run shows, and how the second half compares with the first.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_ENTRIES = re.compile(r"^moderation_verdict_cache_entries(?:\{[^}]*\})? ([0-9.eE+]+)$", re.M)


def rss_mib(pid: int) -> float:
    """Resident set size of a process in MiB (Linux /proc; 0.0 where unavailable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def cache_entries(web_port: int) -> int | None:
    """The worker's verdict cache size from its /metrics page (None: not reported)."""
    url = f"http://127.0.0.1:{web_port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            page = answer.read().decode()
    except OSError:
        return None
    found = _ENTRIES.findall(page)
    return int(sum(float(value) for value in found)) if found else None


@dataclass
class Sample:
    second: float
    cache_entries: int | None
    rss_mib: float


@dataclass
class FootprintSampler:
    """Samples ``(pid, web_port)`` workers every ``interval_s`` until stopped."""

    workers: list[tuple[int, int]]
    interval_s: float = 5.0
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _started: float = field(default_factory=time.monotonic)

    def sample(self, started: float) -> None:
        entries = [cache_entries(port) for _, port in self.workers]
        known = [n for n in entries if n is not None]
        self.samples.append(
            Sample(
                round(time.monotonic() - started, 1),
                sum(known) if known else None,
                round(sum(rss_mib(pid) for pid, _ in self.workers), 1),
            )
        )

    def start(self) -> FootprintSampler:
        self._started = time.monotonic()

        def loop() -> None:
            self.sample(self._started)
            while not self._stop.wait(self.interval_s):
                self.sample(self._started)

        self._thread = threading.Thread(target=loop, name="footprint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> dict[str, Any]:
        """Stop sampling (one last sample) and summarise: first, middle, last, peak."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self.sample(self._started)
        return summarise(self.samples)


def summarise(samples: list[Sample]) -> dict[str, Any]:
    if not samples:
        return {}
    count = len(samples)
    picks = {
        "first": samples[0],
        "quarter": samples[count // 4],
        "middle": samples[count // 2],
        "three quarters": samples[3 * count // 4],
        "last": samples[-1],
    }
    return {
        **{
            name: {"second": s.second, "cache_entries": s.cache_entries, "rss_mib": s.rss_mib}
            for name, s in picks.items()
        },
        "peak_rss_mib": max(s.rss_mib for s in samples),
        "peak_cache_entries": max((s.cache_entries or 0) for s in samples),
        "samples": len(samples),
    }
