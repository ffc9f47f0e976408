"""The one command line of the product: ``moderation``.

Each area of the service contributes its subcommands through a ``register(subparsers)`` function;
this module only assembles the tree and dispatches to the chosen handler.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from importlib import metadata

from moderation.cli_errors import DEV_TOOLS_MISSING, USAGE, explain

# Modules with a ``register`` function, in the order ``--help`` lists their commands.
_TOP_LEVEL: tuple[str, ...] = (
    "moderation.worker.cli",
    "moderation.telemetry.cli",
    "moderation_dev.demo.cli",  # development tools: see _DEV_PACKAGE
    "moderation.deadletter.cli",
    "moderation.evaluation.cli",
    "moderation.rollout.cli",
    "moderation.console.cli",
    "moderation.statements.cli",
    "moderation.appeals.cli",
)
_DEV_TOOLS = (
    "moderation_dev.devkafka.cli",
    "moderation_dev.simulator.cli",
    "moderation_dev.demo.tryout",
)
_DEV_PACKAGE = "moderation_dev"
"""The development tools (``devtools/``, distribution ``moderation-devtools``): not in the
runtime wheel or image. Without them ``moderation demo`` and ``moderation dev ...`` exit 2 with
:data:`~moderation.cli_errors.DEV_TOOLS_MISSING`."""


def _dev_tools_installed() -> bool:
    return importlib.util.find_spec(_DEV_PACKAGE) is not None


def _dev_tools_missing(_args: argparse.Namespace) -> int:
    print(DEV_TOOLS_MISSING, file=sys.stderr)
    return USAGE


def _placeholder(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_: str
) -> None:
    """``name`` without the development tools: any arguments, one line, exit 2."""
    # No option prefix: every word (``--limit``, ``--help``) is taken as an argument.
    parser = commands.add_parser(
        name, help=f"{help_} (needs the development tools)", prefix_chars="\0", add_help=False
    )
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    parser.set_defaults(handler=_dev_tools_missing)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moderation",
        description="Streaming content moderation on Kafka: Claude Haiku triage, Sonnet review, "
        "human review, final decisions.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    dev_installed = _dev_tools_installed()
    for module in _TOP_LEVEL:
        if module.startswith(_DEV_PACKAGE) and not dev_installed:
            _placeholder(commands, "demo", "run the pipeline end to end on the sample corpus")
            continue
        importlib.import_module(module).register(commands)
    if not dev_installed:
        _placeholder(commands, "dev", "local development tools")
        return parser
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
