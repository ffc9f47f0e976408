"""Appeals: a user contests a final decision, a human re-decides, upstream hears the outcome.

Four payloads, one per topic (:mod:`moderation_contracts.topics`):

- :class:`Appeal` (upstream -> the appeal stage): the user's complaint about an item.
- :class:`AppealTask` (the appeal stage -> reviewer tools): a valid appeal with the decision it
  contests, both model verdicts behind it and the reviewers who may not decide it.
- :class:`AppealDecision` (reviewer tools -> the appeal stage): upheld or overturned, with why.
- :class:`AppealOutcome` (the appeal stage -> upstream): every appeal gets answers here, never
  silence: ``received`` when it is queued, ``rejected`` with the reason when it cannot be heard,
  and ``upheld`` / ``overturned`` when a reviewer decided it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import Field, StringConstraints, model_validator

from moderation_contracts.common import (
    NO_NUL_PATTERN,
    FreeText,
    Identifier,
    Payload,
    UtcDatetime,
    utc_now,
)
from moderation_contracts.decision import Decision
from moderation_contracts.limits import MAX_INTERNAL_MESSAGE_BYTES, MAX_MESSAGE_BYTES
from moderation_contracts.review import Priority

MAX_APPEAL_REASON_CHARS = 4000

AppealText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_APPEAL_REASON_CHARS, pattern=NO_NUL_PATTERN),
    FreeText,
]


class Appeal(Payload):
    """A complaint against the final decision on one item, keyed by ``content_id``."""

    schema_name: ClassVar[str] = "appeal"
    max_message_bytes: ClassVar[int] = MAX_MESSAGE_BYTES

    appeal_id: Identifier = Field(description="Unique per appeal; a re-sent appeal keeps its id.")
    content_id: Identifier
    tenant_id: Identifier
    appellant_id: Identifier = Field(description="Who complains (the author, usually).")
    reason: AppealText = Field(description="The appellant's own words. Hostile input: shown inert.")
    decision_id: Identifier | None = Field(
        default=None,
        description="The decision contested; by default the item's last final decision.",
    )
    submitted_at: UtcDatetime = Field(default_factory=utc_now)


class AppealTask(Payload):
    """A valid appeal for the appeals queue, keyed by ``content_id``."""

    schema_name: ClassVar[str] = "appeal-task"
    max_message_bytes: ClassVar[int] = MAX_INTERNAL_MESSAGE_BYTES

    task_id: Identifier = Field(description="Stable per appeal, so re-sends dedupe.")
    appeal: Appeal
    original: Decision = Field(
        description="The final decision contested, with its rationale and model verdicts."
    )
    excluded_reviewers: list[Identifier] = Field(
        default_factory=list,
        max_length=16,
        description="Reviewers who may not decide this appeal (who made the original decision).",
    )
    priority: Priority = Priority.NORMAL
    review_deadline: UtcDatetime
    created_at: UtcDatetime = Field(default_factory=utc_now)

    @property
    def content_id(self) -> str:
        return self.appeal.content_id


class AppealVerdict(StrEnum):
    UPHELD = "upheld"
    """The original decision stands."""
    OVERTURNED = "overturned"
    """The original decision was wrong: a superseding final decision follows."""


class AppealDecision(Payload):
    """A reviewer's decision on an appeal task, keyed by ``content_id``."""

    schema_name: ClassVar[str] = "appeal-decision"
    max_message_bytes: ClassVar[int] = MAX_MESSAGE_BYTES

    appeal_id: Identifier
    task_id: Identifier
    content_id: Identifier
    tenant_id: Identifier
    reviewer_id: Identifier
    outcome: AppealVerdict
    reason: AppealText = Field(description="Why; told to the appellant.")
    decided_at: UtcDatetime = Field(default_factory=utc_now)


class AppealStatus(StrEnum):
    RECEIVED = "received"
    """Valid and queued for a human; a decision follows."""
    REJECTED = "rejected"
    """Not heard; ``rejection`` and ``reason`` say why. Final."""
    UPHELD = "upheld"
    """Final: the original decision stands."""
    OVERTURNED = "overturned"
    """Final: ``new_decision_id`` names the superseding decision on the decisions topic."""


class AppealRejection(StrEnum):
    UNKNOWN_ITEM = "unknown_item"
    """No final decision is known for this content_id (or not the decision named)."""
    NOT_RESTRICTED = "not_restricted"
    """The decision does not restrict the content; there is nothing to contest."""
    LATE = "late"
    """Submitted after the policy's appeal window (183 days by default) closed."""
    DUPLICATE = "duplicate"
    """Another appeal of this decision is already open."""
    ALREADY_DECIDED = "already_decided"
    """An appeal of this decision was already decided."""
    TENANT_MISMATCH = "tenant_mismatch"
    """The appeal names another tenant than the decision."""
    INVALID = "invalid"
    """The appeal broke the contract (``reason`` names the field and the rule); fix and resend.
    It is also on the dead-letter topic with its original bytes."""


class AppealOutcome(Payload):
    """What happened to an appeal, keyed by ``content_id``; dedupe on (appeal_id, status)."""

    schema_name: ClassVar[str] = "appeal-outcome"
    max_message_bytes: ClassVar[int] = MAX_MESSAGE_BYTES

    appeal_id: Identifier
    content_id: Identifier
    tenant_id: Identifier
    appellant_id: Identifier
    status: AppealStatus
    rejection: AppealRejection | None = None
    reason: Annotated[str, StringConstraints(max_length=4000, pattern=NO_NUL_PATTERN), FreeText] = (
        ""
    )
    decision_id: Identifier | None = Field(default=None, description="The decision contested.")
    new_decision_id: Identifier | None = Field(
        default=None, description="The superseding decision (overturned only)."
    )
    reviewer_id: Identifier | None = None
    submitted_at: UtcDatetime
    decided_at: UtcDatetime = Field(default_factory=utc_now)

    @model_validator(mode="after")
    def _rejection_matches_status(self) -> Self:
        if (self.status is AppealStatus.REJECTED) != (self.rejection is not None):
            raise ValueError("rejection is set exactly when status is rejected")
        if self.status is AppealStatus.OVERTURNED and self.new_decision_id is None:
            raise ValueError("an overturned appeal names its new decision")
        return self
