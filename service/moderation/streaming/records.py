"""What a stage reads and what it writes, free of any Kafka client type."""

from __future__ import annotations

from dataclasses import dataclass, field

Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True)
class Inbound:
    """One consumed record: where it came from and its raw bytes."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()
    timestamp_ms: int | None = None

    @property
    def where(self) -> str:
        """``topic[partition]@offset``: how every error log names a record."""
        return f"{self.topic}[{self.partition}]@{self.offset}"


@dataclass(frozen=True, slots=True)
class Outbound:
    """One record to produce. ``route`` and ``status`` label it for spans and metrics.

    ``partition`` is None for the producer's partitioner (murmur2 of the key); a stage names it
    only to co-partition its own state with its input (finalize's state topic). A None
    ``value`` is a tombstone: compaction then removes the key from a compacted topic."""

    topic: str
    key: bytes
    value: bytes | None
    route: str
    status: str = ""
    headers: Headers = ()
    attributes: dict[str, str] = field(default_factory=dict)
    partition: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything one input leads to. An empty ``outputs`` means: nothing to send (a duplicate)."""

    outputs: tuple[Outbound, ...]
    route: str
    content_id: str | None = None
    tenant_id: str | None = None
    content_hash: str | None = None
