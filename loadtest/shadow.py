"""``python -m loadtest.shadow``: triage throughput with shadow mode off, then on at 100%.

The candidate in shadow is an Opus-class model the simulator slows to ``--candidate-latency-ms``
(2 s by default), on every item (``MODERATION_SHADOW__SHARE_PERCENT=100``). Its calls have their
own budget (``--budget`` in flight): once it is full, sampled items are skipped and counted, so
production should not slow down. The run prints both throughputs and their ratio; the issue's
bar is "within 5% of shadow off". Both runs use the backlog scenario, the same items and a fresh
simulator each; the order is off, on, off again so the noise of the machine shows beside the
difference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loadtest.run import RunConfig, run
from loadtest.scenarios import Scenario
from loadtest.traffic import DEFAULT_MIX, TrafficSpec

CANDIDATE = """\
id: slow-candidate
triage: {{model: claude-opus-4-5, max_tokens: 400, timeout_s: {timeout}, call_budget_s: {timeout}}}
review: {{model: claude-opus-4-5, max_tokens: 800}}
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loadtest.shadow", description=__doc__)
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--latency-ms", type=float, default=50.0, help="production model latency")
    parser.add_argument(
        "--candidate-latency-ms", type=float, default=2000.0, help="the shadow candidate's latency"
    )
    parser.add_argument("--budget", type=int, default=4, help="shadow calls in flight")
    parser.add_argument("--window", type=int, default=256, help="triage calls in flight")
    parser.add_argument("--repeat", type=int, default=1, help="off/on pairs (medians are compared)")
    parser.add_argument("--out", type=Path, default=Path(".run/loadtest-shadow"))
    return parser


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    args.out.mkdir(parents=True, exist_ok=True)
    candidate = args.out / "candidate.yaml"
    timeout = max(5.0, 3 * args.candidate_latency_ms / 1000)
    candidate.write_text(CANDIDATE.format(timeout=timeout))
    shadow_env = {
        "MODERATION_SHADOW__ENABLED": "true",
        "MODERATION_SHADOW__CONFIG_FILE": str(candidate.resolve()),
        "MODERATION_SHADOW__STAGES": "triage",
        "MODERATION_SHADOW__SHARE_PERCENT": "100",
        "MODERATION_SHADOW__MAX_IN_FLIGHT": str(args.budget),
    }
    traffic = TrafficSpec(items=args.items, mix=dict(DEFAULT_MIX), duplicate_share=0.0, seed=11)
    runs: dict[str, Any] = {}
    order = [
        (f"{kind}-{n}", env)
        for n in range(args.repeat)
        for kind, env in (("off", {}), ("on", shadow_env))
    ]
    order.append((f"off-{args.repeat}", {}))
    for name, env in order:
        config = RunConfig(
            scenario=Scenario.BACKLOG,
            traffic=traffic,
            rate=0.0,
            latency_ms=args.latency_ms,
            window=args.window,
            baseline=False,
            trace=False,
            worker_env=env,
            class_latency_ms={"opus": args.candidate_latency_ms},
            workdir=args.out,
        )
        result = await run(config)
        service = result["service"]
        runs[name] = {
            "throughput_items_per_s": service["throughput_items_per_s"],
            "lost": service["lost"],
            "cpu_ms_per_item": service["cpu_ms_per_item"],
            "workdir": result["workdir"],
        }
    return runs


def report(runs: dict[str, Any], args: argparse.Namespace) -> str:
    offs = [r for name, r in runs.items() if name.startswith("off")]
    ons = [r for name, r in runs.items() if name.startswith("on")]

    def median(values: list[float]) -> float:
        return float(statistics.median(values)) if values else float("nan")

    off = median([r["throughput_items_per_s"] for r in offs])
    on = median([r["throughput_items_per_s"] for r in ons])
    ratio = on / off if off else float("nan")
    spread = (
        (
            max(r["throughput_items_per_s"] for r in offs)
            - min(r["throughput_items_per_s"] for r in offs)
        )
        / off
        if off
        else float("nan")
    )
    verdict = "within" if ratio >= 0.95 else "NOT within"
    lines = [
        f"shadow load test: {args.items} items (backlog) x {len(runs)} runs, production latency "
        f"{args.latency_ms:.0f} ms, candidate latency {args.candidate_latency_ms:.0f} ms, "
        f"shadow budget {args.budget} calls, share 100%",
        *(
            f"  {name:<10} {r['throughput_items_per_s']:8.1f} items/s  "
            f"worker CPU {r['cpu_ms_per_item']:.2f} ms/item"
            for name, r in runs.items()
        ),
        f"  median throughput: shadow off {off:.1f}, shadow on {on:.1f} items/s",
        f"  on / off {ratio:.3f} ({verdict} 5%); spread of the shadow-off runs {spread:.1%}",
        "  worker CPU per item, median: off "
        f"{median([r['cpu_ms_per_item'] for r in offs]):.2f} ms, "
        f"on {median([r['cpu_ms_per_item'] for r in ons]):.2f} ms",
        f"  items lost {sum(r['lost'] for r in runs.values())}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    runs = asyncio.run(measure(args))
    (args.out / "shadow-result.json").write_text(json.dumps(runs, indent=2))
    print(report(runs, args))
    return 0 if all(r["lost"] == 0 for r in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
