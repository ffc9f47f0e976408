"""Create the service's topics when they are missing (partition count is a setting)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from moderation.worker.kafka_config import client_security

_log = logging.getLogger(__name__)


async def ensure_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int,
    replication: int,
    security: dict[str, object] | None = None,
) -> list[str]:
    """Create each missing topic; returns the names it created. Existing topics are left as is."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **(security or client_security()))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in dict.fromkeys(names) if name not in existing]
        if not missing:
            return []
        # Another worker may win the race to create them; that is fine.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics([NewTopic(name, partitions, replication) for name in missing])
        _log.info("created topics %s with %d partitions", ", ".join(missing), partitions)
        return missing
    finally:
        await admin.close()
