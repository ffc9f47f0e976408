"""Benchmark of the verdict cache's memory: bytes each entry keeps alive, and the cost of a hit.
Prints figures; asserts nothing.

    python -m loadtest.cache_memory [--entries 20000]

The default store holds up to ``MODERATION_VERDICT_CACHE__MAX_ENTRIES`` entries per worker, so
bytes per entry times that bound is what a warm cache adds to a worker's resident memory.
"""

from __future__ import annotations

import argparse
import hashlib
import time
import tracemalloc
from datetime import UTC, datetime

from moderation.cache.store import VerdictStore
from moderation.settings import Settings
from moderation_contracts import CategoryScore, Verdict


def _verdict(number: int) -> Verdict:
    """A verdict shaped like the simulated model's answers (one in five with a category)."""
    categories = [CategoryScore(category="spam", severity="low", confidence=0.41)]
    return Verdict(
        tier="haiku",
        model="claude-haiku-4-5",
        policy_id="default",
        policy_version="2026.11",
        categories=categories if number % 5 == 0 else [],
        flagged=False,
        rationale="No category of the policy applies to this content.",
        stop_reason="tool_use",
        latency_ms=412.5,
        response_id=f"msg_01{number:024x}",
        config_id="baseline",
        from_cache=False,
        decided_at=datetime.now(UTC),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.cache_memory", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--entries", type=int, default=20_000, help="verdicts to store")
    args = parser.parse_args(argv)
    if args.entries < 1:
        parser.error("--entries must be at least 1")
    keys = [hashlib.sha256(str(n).encode()).hexdigest() for n in range(args.entries)]
    _verdict(0)  # pydantic's first-use allocations are not the store's
    tracemalloc.start()
    store = VerdictStore(args.entries, 3600.0)
    for number, key in enumerate(keys):
        store.put(key, _verdict(number))
    kept, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    started = time.perf_counter()
    for key in keys:
        store.get(key)
    hit_us = (time.perf_counter() - started) / len(keys) * 1e6
    bound = Settings().verdict_cache.max_entries
    per_entry = kept / len(keys)
    print(f"entries stored          {len(keys):>10,}")
    print(f"bytes kept per entry    {per_entry:>10,.0f}")
    print(f"one hit (parse)         {hit_us:>10.1f} us")
    print(f"at the default bound    {bound:>10,} entries = {per_entry * bound / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
