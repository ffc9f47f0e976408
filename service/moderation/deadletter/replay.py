"""Which dead letters to replay, and the exact records a replay publishes. Pure, no I/O.

A replayed record is the original: same key, same value bytes, same headers, to the topic it
came from (or another chosen topic), plus one header naming the dead letter it came from, so
the trail stays visible and a consumer can tell a replay from a first delivery.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from moderation_contracts import ContractError, DeadLetter, parse_payload

REPLAY_HEADER = "x-moderation-replayed-from"
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``2h``/``30m``/``7d``/``45s`` ago, or an ISO 8601 time (UTC when no zone is given)."""
    match = _DURATION.fullmatch(text.strip())
    if match:
        amount, unit = float(match.group(1)), match.group(2)
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: amount})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise ValueError(
            f"--since {text!r}: use e.g. 2h, 30m, 7d or 2026-11-24T08:00:00Z"
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ReplayFilter:
    """Every given criterion must hold; an empty criterion matches everything."""

    error_codes: frozenset[str] = frozenset()
    content_ids: frozenset[str] = frozenset()
    tenant_ids: frozenset[str] = frozenset()
    source_topics: frozenset[str] = frozenset()
    since: datetime | None = None
    limit: int | None = None

    def matches(self, letter: DeadLetter) -> bool:
        return (
            (not self.error_codes or letter.error_code in self.error_codes)
            and (not self.content_ids or letter.content_id in self.content_ids)
            and (not self.tenant_ids or letter.tenant_id in self.tenant_ids)
            and (not self.source_topics or letter.source_topic in self.source_topics)
            and (self.since is None or letter.failed_at >= self.since)
        )


@dataclass(frozen=True)
class ReplayRecord:
    """One record to publish, and where its dead letter sits."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    letter: DeadLetter
    letter_partition: int
    letter_offset: int

    def describe(self) -> str:
        """One line for the operator; names and codes only, never the content."""
        letter = self.letter
        return (
            f"dead letter {self.letter_partition}:{self.letter_offset} "
            f"[{letter.error_code}] content_id={letter.content_id or '-'} "
            f"tenant={letter.tenant_id or '-'} from {letter.source_topic}"
            f"[{letter.source_partition}]@{letter.source_offset} -> {self.topic} "
            f"({len(self.value)} bytes)"
        )


@dataclass(frozen=True)
class Unreadable:
    """A record on the dead-letter topic that is not a dead letter (reported, never replayed)."""

    partition: int
    offset: int
    problem: str


@dataclass
class ReplayPlan:
    records: list[ReplayRecord] = field(default_factory=list)
    scanned: int = 0
    unreadable: list[Unreadable] = field(default_factory=list)
    left_by_limit: int = 0


@dataclass(frozen=True)
class Selection:
    """One raw record read from the dead-letter topic."""

    partition: int
    offset: int
    value: bytes


def to_record(
    letter: DeadLetter, partition: int, offset: int, to_topic: str | None, dead_letter_topic: str
) -> ReplayRecord:
    headers = tuple(
        (h.key, b"" if h.value_b64 is None else _decode(h.value_b64))
        for h in letter.headers
        if h.key != REPLAY_HEADER
    )
    trail = f"{dead_letter_topic}:{partition}:{offset}".encode()
    return ReplayRecord(
        topic=to_topic or letter.source_topic,
        key=letter.original_key(),
        value=letter.original_value(),
        headers=(*headers, (REPLAY_HEADER, trail)),
        letter=letter,
        letter_partition=partition,
        letter_offset=offset,
    )


def plan_replay(
    raw: Iterable[Selection],
    chosen: ReplayFilter,
    *,
    dead_letter_topic: str,
    to_topic: str | None = None,
) -> ReplayPlan:
    """The records to publish for the dead letters ``chosen`` picks, in topic order."""
    plan = ReplayPlan()
    for item in sorted(raw, key=lambda s: (s.partition, s.offset)):
        plan.scanned += 1
        try:
            letter = parse_payload(DeadLetter, item.value)
        except ContractError as error:
            plan.unreadable.append(Unreadable(item.partition, item.offset, error.code))
            continue
        if not chosen.matches(letter):
            continue
        if chosen.limit is not None and len(plan.records) >= chosen.limit:
            plan.left_by_limit += 1
            continue
        plan.records.append(
            to_record(letter, item.partition, item.offset, to_topic, dead_letter_topic)
        )
    return plan


def _decode(value_b64: str) -> bytes:
    return base64.b64decode(value_b64)
