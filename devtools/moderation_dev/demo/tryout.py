"""``moderation dev try TEXT``: publish one request and wait for its decision.

The quick start's last step: with a worker running, it sends TEXT as a ``ModerationRequest``
(keyed by a fresh ``content_id``) to the requests topic and prints the first decision the
pipeline publishes for it. It uses the same settings as the worker (``KAFKA_BOOTSTRAP_SERVERS``,
``MODERATION_TOPICS__*``), so it talks to whatever the worker reads.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from moderation.cli_errors import RuntimeProblem, UsageError


def register(dev_tools: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = dev_tools.add_parser(
        "try",
        help="publish one text for moderation and print its decision",
        description=(
            "Publish TEXT as one moderation request (content_id try-<random>, the given tenant) "
            "to the requests topic and wait for the first decision on the decisions topic. A "
            "worker must be running. Exit 0 once decided, 1 when nothing came within --timeout."
        ),
    )
    parser.add_argument("text", metavar="TEXT", help="the content to moderate")
    parser.add_argument("--tenant", default="acme", help="tenant id (default %(default)s)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait (default %(default)s)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from moderation.settings import Settings

    if args.timeout <= 0:
        raise UsageError(f"--timeout {args.timeout}: must be more than 0 seconds")
    settings = Settings()
    return asyncio.run(_try(settings, args.text, args.tenant, args.timeout))


async def _try(settings: Any, text: str, tenant: str, timeout: float) -> int:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    from moderation.deadletter.kafka_io import partitions_of
    from moderation.worker.kafka_config import client_security
    from moderation.worker.topics import contract_limits, ensure_topics
    from moderation_contracts import Decision, ModerationRequest, dump_payload, parse_payload

    topics = settings.topics
    security = client_security(settings)
    await ensure_topics(
        settings.bootstrap_servers,
        topics.all(),
        settings.topic_partitions,
        settings.topic_replication,
        security=security,
        max_message_bytes=contract_limits(topics),
    )
    request = ModerationRequest(
        content_id=f"try-{uuid.uuid4().hex[:12]}",
        tenant_id=tenant,
        text=text,
        submitted_at=datetime.now(UTC),
    )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False, **security
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, acks="all", **security
    )
    try:
        await consumer.start()
        await producer.start()
        partitions = await partitions_of(settings.bootstrap_servers, topics.decisions, security)
        consumer.assign([TopicPartition(topics.decisions, p) for p in partitions])
        await consumer.seek_to_end()
        for tp in consumer.assignment():
            await consumer.position(tp)  # pin "end" before publishing
        await producer.send_and_wait(
            topics.requests, dump_payload(request), key=request.content_id.encode()
        )
        print(f"published {request.content_id} to {topics.requests}; waiting for its decision")
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    if record.key != request.content_id.encode():
                        continue
                    decision = parse_payload(Decision, record.value or b"")
                    follows = "" if decision.final else "; a final decision follows"
                    print(
                        f"decision for {decision.content_id}: {decision.status} by "
                        f"{decision.decided_by} after {time.monotonic() - started:.1f}s{follows}"
                    )
                    return 0
    finally:
        await consumer.stop()
        await producer.stop()
    raise RuntimeProblem(
        f"no decision for {request.content_id} on {topics.decisions} within {timeout:.0f}s; "
        "is a worker running (`.venv/bin/moderation worker`) with the same settings?"
    )
