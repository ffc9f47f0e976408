"""Payloads of the service's internal topics: written and read by the finalize stage only.

Outside systems never produce or consume these. They exist so that finalize never depends on
how an outside client partitions its records: the service re-keys reviewers' decisions and the
human-review tasks into one topic it writes itself (murmur2 of content_id, the aiokafka and Java
default), and keeps finalize's per-item state in a compacted topic partitioned like that one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Self

from pydantic import Field, NonNegativeInt, model_validator

from moderation_contracts.common import ContractModel, Identifier, Payload, UtcDatetime, utc_now
from moderation_contracts.human import HumanDecision
from moderation_contracts.limits import MAX_INTERNAL_MESSAGE_BYTES
from moderation_contracts.review import HumanReviewTask


class FinalizeEventKind(StrEnum):
    TASK = "task"
    """A human-review task was published (by review, triage or an escalation)."""
    DECISION = "decision"
    """A reviewer answered."""
    EXPIRE = "expire"
    """A parked answer waited longer than its bound: dead-letter it if it is still parked."""


class Source(ContractModel):
    """Where an event was first read, and its original key and value (base64): a dead letter
    made later from the event carries exactly what the outside client sent."""

    topic: str = Field(max_length=249)
    partition: NonNegativeInt
    offset: NonNegativeInt
    key_b64: str | None = Field(default=None, max_length=4096)
    value_b64: str | None = Field(default=None, max_length=2 * 1024 * 1024)


class FinalizeEvent(Payload):
    """One event about one item on the internal finalize topic, keyed by content_id."""

    schema_name: ClassVar[str] = "finalize-event"
    max_message_bytes: ClassVar[int] = MAX_INTERNAL_MESSAGE_BYTES

    kind: FinalizeEventKind
    content_id: Identifier
    task: HumanReviewTask | None = None
    decision: HumanDecision | None = None
    source: Source | None = None
    traceparent: str | None = Field(default=None, max_length=128)
    received_at: UtcDatetime = Field(default_factory=utc_now)

    @model_validator(mode="after")
    def _carries_its_kind(self) -> Self:
        if self.kind is FinalizeEventKind.TASK and self.task is None:
            raise ValueError("a task event needs its task")
        if self.kind is FinalizeEventKind.DECISION and self.decision is None:
            raise ValueError("a decision event needs its decision")
        return self


class ParkedDecision(ContractModel):
    """A reviewer's answer that arrived before its task: applied when the task arrives."""

    decision: HumanDecision
    source: Source | None = None
    traceparent: str | None = Field(default=None, max_length=128)
    parked_at: UtcDatetime


class FinalizeState(Payload):
    """Finalize's memory of one item (compacted topic, keyed by content_id)."""

    schema_name: ClassVar[str] = "finalize-state"
    max_message_bytes: ClassVar[int] = MAX_INTERNAL_MESSAGE_BYTES

    content_id: Identifier
    task: HumanReviewTask | None = None
    decided: str | None = Field(default=None, max_length=32)
    traceparent: str | None = Field(default=None, max_length=128)
    parked: list[ParkedDecision] = Field(default_factory=list, max_length=64)
    updated_at: UtcDatetime = Field(default_factory=utc_now)
