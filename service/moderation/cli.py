"""The one command line of the product: ``moderation``.

Each area of the service contributes its own subcommands through a ``register`` function, so
this module only assembles the tree and dispatches.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moderation",
        description="Streaming content moderation on Kafka: Haiku triage, Sonnet review, "
        "human review.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    dev = commands.add_parser("dev", help="local development tools (Kafka broker, simulated API)")
    dev_commands = dev.add_subparsers(dest="dev_command", metavar="TOOL", required=True)

    from moderation.devkafka.cli import register as register_kafka

    register_kafka(dev_commands)
    _register_optional(dev_commands, commands)
    return parser


def _register_optional(
    dev_commands: argparse._SubParsersAction[argparse.ArgumentParser],
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Subcommands owned by other areas; each registers itself."""
    from moderation.simulator.cli import register as register_simulator

    register_simulator(dev_commands)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = args.handler
    result: int = handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
