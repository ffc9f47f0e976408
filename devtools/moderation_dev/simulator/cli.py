"""``moderation dev sim-api``: run the simulated Anthropic API in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Callable

from moderation.cli_errors import UsageError
from moderation.portcheck import ensure_port_free
from moderation_dev.simulator.config import Latency, SimConfig
from moderation_dev.simulator.errors import ConfigError
from moderation_dev.simulator.models import MODEL_CLASSES, ModelClass
from moderation_dev.simulator.testing import running_simulator


def _error_rate(text: str) -> tuple[int, float]:
    status, sep, rate = text.partition("=")
    try:
        if not sep:
            raise ValueError(text)
        return int(status), float(rate)
    except ValueError:
        message = f"expected STATUS=RATE such as 529=0.02, got {text!r}"
        raise argparse.ArgumentTypeError(message) from None


def register(dev_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``sim-api`` subcommand."""
    parser = dev_commands.add_parser(
        "sim-api",
        help="a simulated Anthropic API for tests, the demo and load tests",
        description=(
            "Serve a simulated Anthropic Messages and Message Batches API that the official SDK "
            "uses unchanged (set ANTHROPIC_BASE_URL to the printed URL). Verdicts come from a "
            "lexicon and [[sim: ...]] markers in the content; faults from the options below and "
            "the x-simulate request header. See devtools/moderation_dev/simulator/README.md."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (0 = any free)")
    parser.add_argument(
        "--profile",
        choices=("default", "instant", "realistic"),
        default="default",
        help="latency preset: default (tens of ms), instant (none), realistic (Haiku ~0.6 s, "
        "Sonnet ~1.5 s median, lognormal)",
    )
    for cls in MODEL_CLASSES:
        parser.add_argument(
            f"--{cls}-latency-ms",
            type=float,
            metavar="MS",
            help=f"median latency of {cls}-class models (overrides the profile; lognormal)",
        )
    parser.add_argument(
        "--latency-sigma", type=float, default=0.4, help="lognormal shape for --*-latency-ms"
    )
    parser.add_argument(
        "--ms-per-output-token", type=float, default=0.0, help="extra latency per output token"
    )
    parser.add_argument(
        "--error-rate",
        type=_error_rate,
        action="append",
        default=[],
        metavar="STATUS=RATE",
        help="inject an HTTP error on this fraction of /v1/messages calls (repeatable), "
        "e.g. 529=0.02 429=0.01 500=0.005",
    )
    parser.add_argument(
        "--drop-rate", type=float, default=0.0, help="fraction of calls whose connection drops"
    )
    parser.add_argument(
        "--slow-rate", type=float, default=0.0, help="fraction of calls answered after --slow-ms"
    )
    parser.add_argument("--slow-ms", type=float, default=30_000.0, help="latency of slow calls")
    parser.add_argument(
        "--retry-after", type=float, default=1.0, help="seconds sent in retry-after with 429s"
    )
    parser.add_argument("--rpm", type=int, help="requests per minute per model class")
    parser.add_argument("--input-tpm", type=int, help="input tokens per minute per model class")
    parser.add_argument("--output-tpm", type=int, help="output tokens per minute per class")
    parser.add_argument(
        "--batch-delay", type=float, help="seconds a batch stays in_progress (profile default)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for latency and fault draws")
    parser.add_argument(
        "--no-auth", action="store_true", help="accept requests that carry no API key"
    )
    parser.set_defaults(handler=run)


def config_from_args(args: argparse.Namespace) -> SimConfig:
    """The SimConfig the options describe; raises ConfigError on bad combinations."""
    presets: dict[str, Callable[[], SimConfig]] = {
        "default": SimConfig,
        "instant": SimConfig.instant,
        "realistic": SimConfig.realistic,
    }
    base = presets[args.profile]()
    latency: dict[ModelClass, Latency] = dict(base.latency)
    for cls in MODEL_CLASSES:
        median = getattr(args, f"{cls}_latency_ms")
        if median is not None:
            latency[cls] = Latency(median, "lognormal", args.latency_sigma, 0.0, median * 10 + 1)
    return SimConfig(
        latency=latency,
        ms_per_output_token=args.ms_per_output_token,
        error_rates=dict(args.error_rate),
        drop_rate=args.drop_rate,
        slow_rate=args.slow_rate,
        slow_ms=args.slow_ms,
        retry_after_s=args.retry_after,
        rpm=args.rpm,
        input_tpm=args.input_tpm,
        output_tpm=args.output_tpm,
        batch_delay_s=base.batch_delay_s if args.batch_delay is None else args.batch_delay,
        seed=args.seed,
        require_api_key=not args.no_auth,
    )


async def _serve(config: SimConfig, host: str, port: int) -> None:
    async with running_simulator(config, host, port) as sim:
        print(f"simulated Anthropic API listening on {sim.base_url}", flush=True)
        print(f"  export ANTHROPIC_BASE_URL={sim.base_url}", flush=True)
        await asyncio.Event().wait()


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        raise UsageError(f"sim-api: {exc}") from None
    ensure_port_free(args.host, args.port, "--port")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(config, args.host, args.port))
    return 0
