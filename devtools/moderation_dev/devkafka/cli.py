"""``moderation dev kafka up | down | status``."""

from __future__ import annotations

import argparse
import os
import sys

from moderation_dev.devkafka.broker import (
    BrokerError,
    BrokerSpec,
    read_handle,
    start_broker,
    stop_broker,
)
from moderation_dev.devkafka.probe import kafka_answers, parse_bootstrap
from moderation_dev.devkafka.runtime import KAFKA_VERSION, RuntimeFetchError, ensure_runtime

_EXISTING = "KAFKA_BOOTSTRAP_SERVERS"


def register(dev_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kafka = dev_commands.add_parser(
        "kafka",
        help="a local single-node Kafka broker (KRaft, loopback)",
        description=(
            f"Run Apache Kafka {KAFKA_VERSION} locally: jars are fetched once through Maven into "
            "~/.cache/moderation (or $MODERATION_HOME), the broker runs in combined "
            "broker+controller mode on loopback. With KAFKA_BOOTSTRAP_SERVERS set, nothing is "
            "started and that cluster is used instead."
        ),
    )
    actions = kafka.add_subparsers(dest="kafka_action", metavar="ACTION", required=True)
    for name, handler, text in (
        ("up", _up, "start the broker (a running one is reused) and wait until it answers"),
        ("down", _down, "stop the broker that 'up' started, and remove its data"),
        ("status", _status, "say where the broker is and whether it answers"),
    ):
        action = actions.add_parser(name, help=text, description=text)
        action.add_argument(
            "--host", default="127.0.0.1", help="listen address (default %(default)s)"
        )
        action.add_argument(
            "--port",
            type=int,
            default=9092,
            help="client port (default %(default)s); the controller listens on port+1",
        )
        if name == "up":
            action.add_argument(
                "--partitions", type=int, default=1, help="default partitions for new topics"
            )
            action.add_argument(
                "--timeout", type=float, default=60.0, help="seconds to wait for the broker"
            )
        action.set_defaults(handler=handler)


def _spec(args: argparse.Namespace) -> BrokerSpec:
    return BrokerSpec(host=args.host, port=args.port, partitions=getattr(args, "partitions", 1))


def _existing_cluster() -> str | None:
    value = os.environ.get(_EXISTING, "").strip()
    return value or None


def _up(args: argparse.Namespace) -> int:
    existing = _existing_cluster()
    if existing:
        answering = _cluster_answers(existing)
        print(
            f"{_EXISTING}={existing} is set: using that cluster, starting none "
            f"({'it answers' if answering else 'it does NOT answer'})."
        )
        return 0 if answering else 1
    spec = _spec(args)
    try:
        runtime, fetched = ensure_runtime()
        handle, started = start_broker(runtime, spec, timeout=args.timeout)
    except (RuntimeFetchError, BrokerError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    verb = "started" if started else "already running"
    source = "fetched" if fetched else "cached"
    print(f"Kafka {runtime.version} {verb} at {handle.bootstrap} (pid {handle.pid}, jars {source})")
    print(f"  log: {handle.log_file}")
    print(f"  stop it with: .venv/bin/moderation dev kafka down --port {spec.port}")
    return 0


def _down(args: argparse.Namespace) -> int:
    existing = _existing_cluster()
    if existing:
        print(f"{_EXISTING}={existing} is set: that cluster is not ours to stop.")
        return 0
    spec = _spec(args)
    if stop_broker(spec):
        print(f"stopped the broker at {spec.bootstrap}")
    else:
        print(f"no broker started by this project is running at {spec.bootstrap}")
    return 0


def _status(args: argparse.Namespace) -> int:
    existing = _existing_cluster()
    if existing:
        answering = _cluster_answers(existing)
        print(f"cluster {existing} (from {_EXISTING}): {'answers' if answering else 'no answer'}")
        return 0 if answering else 1
    spec = _spec(args)
    handle = read_handle(spec)
    answering = kafka_answers(spec.host, spec.port)
    owner = (
        f"started by this project (pid {handle.pid}, log {handle.log_file})"
        if handle
        else ("not started by this project")
    )
    print(f"broker {spec.bootstrap}: {'answers' if answering else 'no answer'}; {owner}")
    return 0 if answering else 1


def _cluster_answers(servers: str) -> bool:
    try:
        return any(kafka_answers(host, port) for host, port in parse_bootstrap(servers))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return False
