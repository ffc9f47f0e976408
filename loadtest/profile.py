"""Summarise a sampling profile of the worker by component.

Reads py-spy's ``raw`` (collapsed stacks) output: one line per distinct stack, frames from the
outermost to the innermost separated by ``;``, then the sample count. Each sample is charged to
one component: the innermost frame that belongs to a known component wins, so time inside
``json`` or ``re`` called from the SDK counts for the SDK. Stacks that pass through the import
machinery are start-up and are reported apart from the per-item work.

    py-spy record --pid <worker pid> -r 200 -f raw -o worker.raw --nonblocking
    python -m loadtest.profile worker.raw
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

STARTUP = "start-up (imports)"
OTHER = "other (stdlib)"
NO_FRAME = "no Python frame (GC, native)"

#: Top-level module (as py-spy prints the file) -> component.
PACKAGES = {
    "anthropic": "SDK + HTTP client",
    "httpx": "SDK + HTTP client",
    "httpx2": "SDK + HTTP client",
    "httpcore": "SDK + HTTP client",
    "httpcore2": "SDK + HTTP client",
    "h11": "SDK + HTTP client",
    "anyio": "SDK + HTTP client",
    "sniffio": "SDK + HTTP client",
    "aiohttp": "SDK + HTTP client",
    "aiokafka": "aiokafka",
    "kafka": "aiokafka",
    "faust": "faust + mode",
    "mode": "faust + mode",
    "opentelemetry": "telemetry (OpenTelemetry)",
    "trace": "telemetry (OpenTelemetry)",
    "metrics": "telemetry (OpenTelemetry)",
    "attributes": "telemetry (OpenTelemetry)",
    "context": "telemetry (OpenTelemetry)",
    "propagate": "telemetry (OpenTelemetry)",
    "pydantic": "pydantic + contracts",
    "pydantic_core": "pydantic + contracts",
    "moderation_contracts": "pydantic + contracts",
    "logging": "logging",
    "asyncio": "event loop + sockets",
    "selectors": "event loop + sockets",
    "socket": "event loop + sockets",
    "ssl": "event loop + sockets",
}

#: Our own packages (``moderation/<name>/...``) -> component.
OURS = {
    "streaming": "intake + runner (ours)",
    "stages": "stages (ours)",
    "llm": "gateway (ours)",
    "prompts": "prompt building (ours)",
    "cache": "verdict cache (ours)",
    "telemetry": "telemetry (ours)",
    "batch": "batch (ours)",
    "deadletter": "dead letters (ours)",
    "worker": "worker wiring (ours)",
}

_FRAME = re.compile(r"\((?P<file>[^():]+):\d+\)$")


def _module_path(frame: str) -> str:
    match = _FRAME.search(frame)
    return match["file"] if match else ""


def component(frames: Sequence[str]) -> str:
    """The component a stack (outermost frame first) is charged to."""
    paths = [_module_path(frame) for frame in frames if frame]
    if not paths:
        return NO_FRAME
    if any(path.startswith("<frozen importlib") for path in paths):
        return STARTUP
    for path in reversed(paths):
        head, _, rest = path.partition("/")
        if head == "moderation":
            sub = rest.partition("/")[0]
            return OURS.get(sub, "moderation (ours, other)")
        name = head.removesuffix(".py")
        if name in PACKAGES:
            return PACKAGES[name]
    return OTHER


def summarise(lines: Iterable[str]) -> Counter[str]:
    """Samples per component from py-spy ``raw`` lines."""
    counts: Counter[str] = Counter()
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not count.isdigit():
            continue
        counts[component(stack.split(";"))] += int(count)
    return counts


def render(counts: Counter[str]) -> str:
    """A table of per-item components as shares of the per-item samples, start-up apart."""
    startup = counts.get(STARTUP, 0)
    work = {name: n for name, n in counts.items() if name != STARTUP}
    total = sum(work.values()) or 1
    lines = [f"{'component':<32} {'share':>6} {'samples':>8}"]
    for name, n in sorted(work.items(), key=lambda kv: -kv[1]):
        lines.append(f"{name:<32} {n / total:>6.1%} {n:>8}")
    lines.append(f"{'(start-up, not in the shares)':<32} {'':>6} {startup:>8}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.profile", description=__doc__)
    parser.add_argument("raw", type=Path, help="py-spy record -f raw output")
    args = parser.parse_args(argv)
    with args.raw.open() as lines:
        print(render(summarise(lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
