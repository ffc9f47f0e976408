"""Payloads of the appeal stage's internal topics: written and read by the appeal stage only.

Like finalize (:mod:`moderation_contracts.internal`), the appeal stage never trusts outside
producers' partitioning: appeals, reviewers' appeal decisions and the final decisions they
contest are re-keyed onto one internal topic the service writes itself, and the per-item state
(the last final decision, the appeals of it) lives in a compacted topic partitioned the same way.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Self

from pydantic import Field, model_validator

from moderation_contracts.appeal import Appeal, AppealDecision, AppealOutcome, AppealTask
from moderation_contracts.common import ContractModel, Identifier, Payload, UtcDatetime, utc_now
from moderation_contracts.decision import Decision
from moderation_contracts.internal import Source
from moderation_contracts.limits import MAX_INTERNAL_MESSAGE_BYTES

MAX_APPEALS_PER_ITEM = 32


class AppealEventKind(StrEnum):
    DECISION = "decision"
    """A final decision was published for the item."""
    APPEAL = "appeal"
    """A user appealed."""
    ANSWER = "answer"
    """A reviewer decided an appeal."""
    EXPIRE = "expire"
    """The state sweep asks the item's owner to forget the item if nothing can be appealed any
    more (carries nothing: the owner checks the rule again against the state it holds)."""


class AppealEvent(Payload):
    """One event about one item on the internal appeal topic, keyed by content_id."""

    schema_name: ClassVar[str] = "appeal-event"
    max_message_bytes: ClassVar[int] = MAX_INTERNAL_MESSAGE_BYTES

    kind: AppealEventKind
    content_id: Identifier
    decision: Decision | None = None
    appeal: Appeal | None = None
    answer: AppealDecision | None = None
    source: Source | None = None
    traceparent: str | None = Field(default=None, max_length=128)
    received_at: UtcDatetime = Field(default_factory=utc_now)

    @model_validator(mode="after")
    def _carries_its_kind(self) -> Self:
        if self.kind is AppealEventKind.EXPIRE:
            return self
        carried = {
            AppealEventKind.DECISION: self.decision,
            AppealEventKind.APPEAL: self.appeal,
            AppealEventKind.ANSWER: self.answer,
        }[self.kind]
        if carried is None:
            raise ValueError(f"a {self.kind} event needs its {self.kind}")
        return self


class AppealRecord(ContractModel):
    """One appeal of the item and the last answer given to it (re-sent on redelivery)."""

    appeal_id: Identifier
    decision_id: Identifier | None = None
    task: AppealTask | None = Field(default=None, description="Set while the appeal is open.")
    answer: AppealOutcome


class WaitingAppeal(ContractModel):
    """An appeal read before any final decision it could contest: the decisions and the appeals
    come on topics read independently, so the decision may still be on its way."""

    appeal: Appeal
    received_at: UtcDatetime
    parked_at: UtcDatetime


class AppealState(Payload):
    """The appeal stage's memory of one item (compacted topic, keyed by content_id)."""

    schema_name: ClassVar[str] = "appeal-state"
    max_message_bytes: ClassVar[int] = MAX_INTERNAL_MESSAGE_BYTES

    content_id: Identifier
    decision: Decision | None = Field(default=None, description="The last final decision.")
    appeals: list[AppealRecord] = Field(default_factory=list, max_length=MAX_APPEALS_PER_ITEM)
    waiting: list[WaitingAppeal] = Field(
        default_factory=list,
        max_length=MAX_APPEALS_PER_ITEM,
        description=(
            "Appeals waiting for the decision they contest, in the order they came; answered"
            " when it arrives, or unknown_item after appeal.unknown_wait_s."
        ),
    )
    updated_at: UtcDatetime = Field(default_factory=utc_now)
