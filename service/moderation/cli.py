"""The one command line of the product: ``moderation``.

Each area of the service contributes its subcommands through a ``register(subparsers)`` function;
this module only assembles the tree and dispatches to the chosen handler.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib import metadata

from moderation.cli_errors import explain

# (where the command hangs, module with a ``register`` function)
_TOP_LEVEL: tuple[str, ...] = (
    "moderation.worker.cli",
    "moderation.telemetry.cli",
    "moderation.demo.cli",
    "moderation.deadletter.cli",
    "moderation.evaluation.cli",
    "moderation.rollout.cli",
    "moderation.console.cli",
    "moderation.statements.cli",
    "moderation.appeals.cli",
)
_DEV_TOOLS = ("moderation.devkafka.cli", "moderation.simulator.cli", "moderation.demo.tryout")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moderation",
        description="Streaming content moderation on Kafka: Claude Haiku triage, Sonnet review, "
        "human review, final decisions.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _TOP_LEVEL:
        importlib.import_module(module).register(commands)
    dev = commands.add_parser(
        "dev",
        help="local development tools (Kafka broker, simulated Anthropic API)",
        description="Local development tools. Nothing here is needed in production.",
    )
    dev_tools = dev.add_subparsers(dest="dev_command", metavar="TOOL", required=True)
    for module in _DEV_TOOLS:
        importlib.import_module(module).register(dev_tools)
    return parser


def _version() -> str:
    try:
        return metadata.version("moderation")
    except metadata.PackageNotFoundError:  # running from a source tree without install
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except Exception as error:
        explained = explain(error)
        if explained is None:
            raise
        print(explained.line, file=sys.stderr)
        return explained.status
    return status


if __name__ == "__main__":
    sys.exit(main())
