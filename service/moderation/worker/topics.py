"""Create the service's topics when they are missing (partition count is a setting)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from moderation.settings import TopicNames
from moderation.worker.kafka_config import client_security
from moderation_contracts import topics as contract_topics

_log = logging.getLogger(__name__)


async def ensure_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int,
    replication: int,
    security: dict[str, object] | None = None,
    max_message_bytes: Mapping[str, int] | None = None,
    compacted: Iterable[str] = (),
    min_insync_replicas: int = 1,
) -> list[str]:
    """Create each missing topic; returns the names it created. Existing topics are left as is.

    ``max_message_bytes`` (topic -> bytes) sets ``max.message.bytes`` on the topics it creates,
    so the broker admits what the contracts allow (a dead letter of a 1 MiB request is larger
    than Kafka's 1 MiB default) and refuses what they do not. ``min_insync_replicas`` is set
    on every topic it creates (with acks=all, a write needs that many replicas in sync).
    """
    limits = max_message_bytes or {}
    compact = set(compacted)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **(security or client_security()))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [*names, *compact]
        missing = [name for name in dict.fromkeys(wanted) if name not in existing]
        if not missing:
            return []
        # Another worker may win the race to create them; that is fine.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(
                [
                    NewTopic(
                        name,
                        partitions,
                        replication,
                        topic_configs=_configs(name, limits, compact, min_insync_replicas),
                    )
                    for name in missing
                ]
            )
        _log.info(
            "created topics %s with %d partitions, replication %d, min.insync.replicas %d",
            ", ".join(missing),
            partitions,
            replication,
            min_insync_replicas,
        )
        return missing
    finally:
        await admin.close()


def _configs(
    name: str, limits: Mapping[str, int], compact: set[str], min_insync_replicas: int = 1
) -> dict[str, str]:
    configs: dict[str, str] = {"min.insync.replicas": str(min_insync_replicas)}
    if name in limits:
        configs["max.message.bytes"] = str(limits[name])
    if name in compact:
        configs["cleanup.policy"] = "compact"
    return configs


async def partition_counts(
    bootstrap: str, names: Iterable[str], security: dict[str, object] | None = None
) -> dict[str, int]:
    """How many partitions each existing topic of ``names`` has (missing topics are left out)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **(security or client_security()))
    await admin.start()
    try:
        described = await admin.describe_topics(list(names))
    finally:
        await admin.close()
    return {
        str(topic["topic"]): len(topic["partitions"])
        for topic in described
        if topic.get("error_code", 0) == 0 and topic.get("partitions")
    }


def copartition_problem(topics: TopicNames, counts: Mapping[str, int]) -> str | None:
    """Finalize and the appeal stage write their state to the partition number of the event it
    came from: each pair of internal topics must have the same partition count."""
    pairs = (
        (topics.finalize_events, topics.finalize_state),
        (topics.appeal_events, topics.appeal_state),
    )
    for events_topic, state_topic in pairs:
        events, state = counts.get(events_topic), counts.get(state_topic)
        if events is None or state is None or events == state:
            continue
        return (
            f"topic {events_topic} has {events} partitions but {state_topic} "
            f"has {state}; they must match (recreate {state_topic} with {events})"
        )
    return None


BATCH_OVERHEAD_BYTES = 64 * 1024
"""Room for the record batch, key and headers around the largest payload a contract allows."""


def contract_limits(topics: TopicNames) -> dict[str, int]:
    """``max.message.bytes`` per configured topic name, from the contracts' payload limits."""
    specs = {
        topics.requests: contract_topics.REQUESTS,
        topics.review: contract_topics.SONNET_REVIEW,
        topics.human_review: contract_topics.HUMAN_REVIEW,
        topics.decisions: contract_topics.DECISIONS,
        topics.human_decisions: contract_topics.HUMAN_DECISIONS,
        topics.deadletter: contract_topics.DEAD_LETTERS,
        topics.shadow: contract_topics.SHADOW,
        topics.finalize_events: contract_topics.FINALIZE_EVENTS,
        topics.finalize_state: contract_topics.FINALIZE_STATE,
        topics.appeals: contract_topics.APPEALS,
        topics.appeal_tasks: contract_topics.APPEAL_TASKS,
        topics.appeal_decisions: contract_topics.APPEAL_DECISIONS,
        topics.appeal_outcomes: contract_topics.APPEAL_OUTCOMES,
        topics.statements: contract_topics.STATEMENTS,
        topics.appeal_events: contract_topics.APPEAL_EVENTS,
        topics.appeal_state: contract_topics.APPEAL_STATE,
    }
    return {name: spec.max_message_bytes + BATCH_OVERHEAD_BYTES for name, spec in specs.items()}
