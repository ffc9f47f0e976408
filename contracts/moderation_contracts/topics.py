"""Every topic in one place: default name, key, payload contract, who writes and who reads it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from moderation_contracts.appeal import Appeal, AppealDecision, AppealOutcome, AppealTask
from moderation_contracts.appeal_internal import AppealEvent, AppealState
from moderation_contracts.common import SCHEMA_MAJOR, Payload
from moderation_contracts.deadletter import DeadLetter
from moderation_contracts.decision import Decision
from moderation_contracts.human import HumanDecision
from moderation_contracts.internal import FinalizeEvent, FinalizeState
from moderation_contracts.request import ModerationRequest
from moderation_contracts.review import HumanReviewTask, ReviewRequest
from moderation_contracts.shadow import ShadowComparison
from moderation_contracts.statement import StatementOfReasons


class Party(StrEnum):
    """A producer or consumer of a topic: an outside system or one of the service's stages."""

    UPSTREAM = "upstream"
    """The product services whose content we moderate."""
    TRIAGE = "triage"
    """Stage 1: the Haiku tier."""
    REVIEW = "review"
    """Stage 2: the Sonnet tier."""
    FINALIZE = "finalize"
    """Stage 3: turns human decisions into final decisions."""
    APPEAL = "appeal"
    """Stage 4: appeals of final decisions, and statements of reasons."""
    REVIEWER_TOOLS = "reviewer-tools"
    """The trust-and-safety review queue application."""
    OPERATORS = "operators"
    """SREs inspecting and replaying dead letters, and comparing shadow verdicts."""


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic of the contract. ``name`` is the default; deployments may rename it."""

    key: str
    name: str
    payload: type[Payload]
    producers: tuple[Party, ...]
    consumers: tuple[Party, ...]
    description: str
    message_key: str = "content_id"
    internal: bool = False
    """Written and read by the service only; no outside system may produce or consume it."""

    @property
    def schema_file(self) -> str:
        """The generated JSON Schema's file name under contracts/schemas/."""
        return f"{self.payload.schema_name}.v{SCHEMA_MAJOR}.json"

    @property
    def max_message_bytes(self) -> int:
        """Set the topic's max.message.bytes at least this high."""
        return self.payload.max_message_bytes


REQUESTS: Final = TopicSpec(
    key="requests",
    name="moderation.requests.v1",
    payload=ModerationRequest,
    producers=(Party.UPSTREAM,),
    consumers=(Party.TRIAGE,),
    description="Content to moderate. Re-sending the same content_id is deduplicated.",
)
SONNET_REVIEW: Final = TopicSpec(
    key="sonnet_review",
    name="moderation.review.sonnet.v1",
    payload=ReviewRequest,
    producers=(Party.TRIAGE,),
    consumers=(Party.REVIEW,),
    description="Items Haiku flagged, refused, or could not judge, for the Sonnet tier.",
)
HUMAN_REVIEW: Final = TopicSpec(
    key="human_review",
    name="moderation.review.human.v1",
    payload=HumanReviewTask,
    producers=(Party.TRIAGE, Party.REVIEW, Party.FINALIZE),
    consumers=(Party.REVIEWER_TOOLS, Party.FINALIZE),
    description=(
        "Tasks for trust-and-safety reviewers. Triage writes here only when the Sonnet tier is "
        "unavailable and the policy fails closed; finalize re-queues escalated tasks and reads "
        "open tasks to build final decisions."
    ),
)
DECISIONS: Final = TopicSpec(
    key="decisions",
    name="moderation.decisions.v1",
    payload=Decision,
    producers=(Party.TRIAGE, Party.REVIEW, Party.FINALIZE, Party.APPEAL),
    consumers=(Party.UPSTREAM, Party.APPEAL),
    description=(
        "Outcomes for upstream: pending_review (not final) may precede the final decision; "
        "the last decision for a content_id has final=true. A final decision with supersedes "
        "set replaces an earlier one an appeal overturned."
    ),
)
HUMAN_DECISIONS: Final = TopicSpec(
    key="human_decisions",
    name="moderation.human-decisions.v1",
    payload=HumanDecision,
    producers=(Party.REVIEWER_TOOLS,),
    consumers=(Party.FINALIZE,),
    description="Reviewers' decisions on human-review tasks.",
)
DEAD_LETTERS: Final = TopicSpec(
    key="dead_letters",
    name="moderation.deadletter.v1",
    payload=DeadLetter,
    producers=(Party.TRIAGE, Party.REVIEW, Party.FINALIZE, Party.APPEAL),
    consumers=(Party.OPERATORS,),
    description="Messages that could not be processed, kept whole with the error for replay.",
)

SHADOW: Final = TopicSpec(
    key="shadow",
    name="moderation.shadow.v1",
    payload=ShadowComparison,
    producers=(Party.TRIAGE, Party.REVIEW),
    consumers=(Party.OPERATORS,),
    description=(
        "Shadow mode: the production verdict beside a candidate configuration's, for a sample "
        "of items. Read by `moderation shadow report`; never by the pipeline."
    ),
)

APPEALS: Final = TopicSpec(
    key="appeals",
    name="moderation.appeals.v1",
    payload=Appeal,
    producers=(Party.UPSTREAM,),
    consumers=(Party.APPEAL,),
    description="Users' appeals of final decisions (DSA Article 20 complaints).",
)
APPEAL_TASKS: Final = TopicSpec(
    key="appeal_tasks",
    name="moderation.review.appeals.v1",
    payload=AppealTask,
    producers=(Party.APPEAL,),
    consumers=(Party.REVIEWER_TOOLS,),
    description=(
        "Valid appeals for the appeals queue: the contested decision, its model verdicts and "
        "the reviewers who may not decide it."
    ),
)
APPEAL_DECISIONS: Final = TopicSpec(
    key="appeal_decisions",
    name="moderation.appeal-decisions.v1",
    payload=AppealDecision,
    producers=(Party.REVIEWER_TOOLS,),
    consumers=(Party.APPEAL,),
    description="Reviewers' decisions on appeals: upheld or overturned, with the reason.",
)
APPEAL_OUTCOMES: Final = TopicSpec(
    key="appeal_outcomes",
    name="moderation.appeal-outcomes.v1",
    payload=AppealOutcome,
    producers=(Party.APPEAL,),
    consumers=(Party.UPSTREAM, Party.OPERATORS),
    description=(
        "Every appeal's answers: received, then upheld or overturned; or rejected with the "
        "reason. Read by `moderation report appeals`."
    ),
)
STATEMENTS: Final = TopicSpec(
    key="statements",
    name="moderation.statements.v1",
    payload=StatementOfReasons,
    producers=(Party.APPEAL,),
    consumers=(Party.OPERATORS,),
    description=(
        "A statement of reasons (DSA Article 17) for every final decision that restricts "
        "content, in the Transparency Database's fields. Read by `moderation statements export`."
    ),
)

FINALIZE_EVENTS: Final = TopicSpec(
    key="finalize_events",
    name="moderation.internal.finalize-events.v1",
    payload=FinalizeEvent,
    producers=(Party.FINALIZE,),
    consumers=(Party.FINALIZE,),
    description=(
        "Internal. Human-review tasks and reviewers' decisions re-keyed by the service itself, "
        "so both events of one item meet on one partition whatever client published them."
    ),
    internal=True,
)
FINALIZE_STATE: Final = TopicSpec(
    key="finalize_state",
    name="moderation.internal.finalize-state.v1",
    payload=FinalizeState,
    producers=(Party.FINALIZE,),
    consumers=(Party.FINALIZE,),
    description=(
        "Internal, compacted. Finalize's per-item state (open task, decision, parked answers), "
        "written to the partition number of the finalize-events record it came from."
    ),
    internal=True,
)

APPEAL_EVENTS: Final = TopicSpec(
    key="appeal_events",
    name="moderation.internal.appeal-events.v1",
    payload=AppealEvent,
    producers=(Party.APPEAL,),
    consumers=(Party.APPEAL,),
    description=(
        "Internal. Final decisions, appeals and reviewers' appeal decisions re-keyed by the "
        "service, so all events of one item meet on one partition."
    ),
    internal=True,
)
APPEAL_STATE: Final = TopicSpec(
    key="appeal_state",
    name="moderation.internal.appeal-state.v1",
    payload=AppealState,
    producers=(Party.APPEAL,),
    consumers=(Party.APPEAL,),
    description=(
        "Internal, compacted. The appeal stage's per-item state (the last final decision and "
        "its appeals), written to the partition number of the appeal-events record."
    ),
    internal=True,
)

INTERNAL_TOPICS: Final[tuple[TopicSpec, ...]] = (
    FINALIZE_EVENTS,
    FINALIZE_STATE,
    APPEAL_EVENTS,
    APPEAL_STATE,
)
"""Topics only the service reads and writes; not part of the public contract."""

TOPICS: Final[tuple[TopicSpec, ...]] = (
    REQUESTS,
    SONNET_REVIEW,
    HUMAN_REVIEW,
    DECISIONS,
    HUMAN_DECISIONS,
    DEAD_LETTERS,
    SHADOW,
    APPEALS,
    APPEAL_TASKS,
    APPEAL_DECISIONS,
    APPEAL_OUTCOMES,
    STATEMENTS,
)
"""All topics, in the order an item travels."""


def topic_for(payload: type[Payload]) -> TopicSpec:
    """The topic that carries ``payload``."""
    for spec in TOPICS:
        if spec.payload is payload:
            return spec
    raise KeyError(payload.__name__)


def topics_read_by(party: Party) -> tuple[TopicSpec, ...]:
    """The topics a stage or outside system consumes."""
    return tuple(spec for spec in TOPICS if party in spec.consumers)


def topics_written_by(party: Party) -> tuple[TopicSpec, ...]:
    """The topics a stage or outside system produces to."""
    return tuple(spec for spec in TOPICS if party in spec.producers)
