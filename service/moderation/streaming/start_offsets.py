"""Where a consumer group starts reading, decided before it joins.

The consumer group is ``<app_id>-<stages>``, so a new stage layout (``--stages triage`` after
running all stages in one process) is a new group. A new group with no committed offsets would
start at the earliest offset and classify, and pay for, the topic's whole history again. So
before the stage consumer joins, for each input partition the group has never committed:

- no other group of the app (``<app_id>-*``) has committed it either: start at the earliest
  offset (a fresh cluster: nothing published before the first start is skipped);
- another group of the app has: by ``--from``

  - ``committed`` (default): copy that group's committed offset (the highest, if several),
  - ``earliest``: read the history again on purpose (logged as a warning),
  - ``latest``: start at the log end, skipping what is there now.

A partition the group has already committed resumes there, whatever ``--from`` says. The plan is
pure (:func:`plan_starts`); :func:`prepare_start_offsets` reads the offsets, commits the copied
ones for the group (allowed while the group has no members) and logs one line per topic. It
knows nothing of faust: any consumer of the group then starts from these commits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    CommitFailedError,
    CoordinatorLoadInProgressError,
    CoordinatorNotAvailableError,
    NotCoordinatorError,
)
from aiokafka.structs import OffsetAndMetadata

_log = logging.getLogger(__name__)

Offsets = Mapping[TopicPartition, int]


class StartFrom(StrEnum):
    """What a new group does with input another group of the app has already consumed."""

    COMMITTED = "committed"
    EARLIEST = "earliest"
    LATEST = "latest"


@dataclass(frozen=True)
class PartitionStart:
    """Where one partition starts; ``offset`` None means the earliest offset."""

    tp: TopicPartition
    offset: int | None
    reason: str
    commit: bool


def plan_starts(
    group: str,
    partitions: Iterable[TopicPartition],
    own: Offsets,
    others: Mapping[str, Offsets],
    log_end: Offsets,
    mode: StartFrom,
) -> list[PartitionStart]:
    """The start of every partition (pure; see the module docstring for the rules)."""
    plan: list[PartitionStart] = []
    for tp in sorted(partitions):
        if own.get(tp, -1) >= 0:
            plan.append(PartitionStart(tp, own[tp], f"committed by {group}", commit=False))
            continue
        previous = {name: o[tp] for name, o in others.items() if o.get(tp, -1) >= 0}
        if mode is StartFrom.LATEST:
            end = log_end.get(tp, 0)
            plan.append(PartitionStart(tp, end, "log end (--from latest)", commit=True))
        elif not previous:
            plan.append(
                PartitionStart(tp, None, "earliest: no group of this app read it", commit=False)
            )
        elif mode is StartFrom.EARLIEST:
            plan.append(
                PartitionStart(tp, None, "earliest (--from earliest): re-reads", commit=False)
            )
        else:
            source = max(sorted(previous), key=lambda name: previous[name])
            plan.append(PartitionStart(tp, previous[source], f"copied from {source}", commit=True))
    return plan


def describe(group: str, plan: Sequence[PartitionStart]) -> list[str]:
    """One log line per topic: the group, each partition's start and why."""
    lines = []
    for topic in sorted({start.tp.topic for start in plan}):
        starts = [s for s in plan if s.tp.topic == topic]
        where = " ".join(
            f"p{s.tp.partition}@{'earliest' if s.offset is None else s.offset}" for s in starts
        )
        reasons = sorted({s.reason for s in starts})
        lines.append(f"group {group} starts {topic} at {where} ({'; '.join(reasons)})")
    return lines


async def _read_state(
    admin: AIOKafkaAdminClient,
    group: str,
    app_id: str,
    topics: Sequence[str],
) -> tuple[list[TopicPartition], dict[TopicPartition, int], dict[str, dict[TopicPartition, int]]]:
    described = await admin.describe_topics(list(topics))
    partitions = [
        TopicPartition(str(row["topic"]), int(part["partition"]))
        for row in described
        if not row.get("error_code")
        for part in row.get("partitions", ())
    ]
    wanted = set(partitions)

    async def committed(name: str) -> dict[TopicPartition, int]:
        found = await admin.list_consumer_group_offsets(name, partitions=partitions)
        return {tp: meta.offset for tp, meta in found.items() if tp in wanted and meta.offset >= 0}

    own = await committed(group)
    names = [str(row[0]) for row in await admin.list_consumer_groups()]
    siblings = sorted(n for n in names if n.startswith(f"{app_id}-") and n != group)
    others = {name: await committed(name) for name in siblings}
    return partitions, own, {name: found for name, found in others.items() if found}


_COORDINATOR_WAIT_S = 60.0
"""A fresh cluster creates its offsets topic on first use: the group coordinator may need a
few seconds before it answers."""


async def _read_state_when_ready(
    admin: AIOKafkaAdminClient, group: str, app_id: str, topics: Sequence[str]
) -> tuple[list[TopicPartition], dict[TopicPartition, int], dict[str, dict[TopicPartition, int]]]:
    deadline = asyncio.get_running_loop().time() + _COORDINATOR_WAIT_S
    delay = 0.2
    while True:
        try:
            return await _read_state(admin, group, app_id, topics)
        except (
            CoordinatorLoadInProgressError,
            CoordinatorNotAvailableError,
            NotCoordinatorError,
        ) as error:
            if asyncio.get_running_loop().time() + delay > deadline:
                raise
            _log.info("group coordinator not ready yet (%s); retrying", type(error).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def prepare_start_offsets(
    bootstrap_servers: str,
    group: str,
    topics: Sequence[str],
    mode: StartFrom,
    *,
    app_id: str,
    security: Mapping[str, Any] | None = None,
) -> list[PartitionStart]:
    """Decide and commit where ``group`` starts on ``topics``; call before the group's
    consumer joins. Returns the plan (also logged, one line per topic)."""
    options = dict(security or {})
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **options)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False, **options
    )
    try:
        await admin.start()
        await consumer.start()
        partitions, own, others = await _read_state_when_ready(admin, group, app_id, topics)
        log_end = await consumer.end_offsets(partitions) if partitions else {}
        plan = plan_starts(group, partitions, own, others, log_end, mode)
        await _commit(consumer, group, plan)
    finally:
        await consumer.stop()
        await admin.close()
    for line in describe(group, plan):
        _log.info("%s", line)
    if mode is StartFrom.EARLIEST and others:
        _log.warning(
            "--from earliest: group %s reads again what %s already processed",
            group,
            ", ".join(sorted(others)),
        )
    return plan


async def _commit(consumer: AIOKafkaConsumer, group: str, plan: Sequence[PartitionStart]) -> None:
    chosen = {
        s.tp: OffsetAndMetadata(s.offset, "") for s in plan if s.commit and s.offset is not None
    }
    if not chosen:
        return
    consumer.assign(list(chosen))
    try:
        await consumer.commit(chosen)
    except CommitFailedError:
        # Another replica of this layout joined first; it made the same decision and its
        # members now own these partitions.
        _log.info("group %s already has members; they chose the start offsets", group)
