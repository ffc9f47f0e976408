"""Versioned message contracts of the content-moderation service.

Pydantic models are the source of truth for every topic's payload; ``parse_payload`` and
``dump_payload`` are the only way messages cross a topic boundary.
"""

from moderation_contracts.common import (
    SCHEMA_MAJOR,
    SCHEMA_MINOR,
    SCHEMA_VERSION,
    CategoryName,
    CategoryScore,
    ContractModel,
    Identifier,
    Payload,
    Severity,
    Tier,
    UtcDatetime,
    utc_now,
)
from moderation_contracts.cost import CostBreakdown, TierCost
from moderation_contracts.deadletter import DeadLetter, Header
from moderation_contracts.decision import FINAL_STATUSES, Decision, DecisionStatus
from moderation_contracts.human import HumanAction, HumanDecision
from moderation_contracts.internal import (
    FinalizeEvent,
    FinalizeEventKind,
    FinalizeState,
    ParkedDecision,
    Source,
)
from moderation_contracts.request import (
    Attachment,
    ImageMediaType,
    ModerationRequest,
    RequestContext,
)
from moderation_contracts.review import (
    EscalationReason,
    HumanReviewTask,
    Priority,
    ReviewRequest,
)
from moderation_contracts.shadow import ShadowComparison, ShadowSide, ShadowStage
from moderation_contracts.topics import (
    DEAD_LETTERS,
    DECISIONS,
    HUMAN_DECISIONS,
    HUMAN_REVIEW,
    REQUESTS,
    SHADOW,
    SONNET_REVIEW,
    TOPICS,
    Party,
    TopicSpec,
    topic_for,
    topics_read_by,
    topics_written_by,
)
from moderation_contracts.validation import ContractError, dump_payload, parse_payload
from moderation_contracts.verdict import Verdict

__all__ = [
    "DEAD_LETTERS",
    "DECISIONS",
    "FINAL_STATUSES",
    "HUMAN_DECISIONS",
    "HUMAN_REVIEW",
    "REQUESTS",
    "SCHEMA_MAJOR",
    "SCHEMA_MINOR",
    "SCHEMA_VERSION",
    "SHADOW",
    "SONNET_REVIEW",
    "TOPICS",
    "Attachment",
    "CategoryName",
    "CategoryScore",
    "ContractError",
    "ContractModel",
    "CostBreakdown",
    "DeadLetter",
    "Decision",
    "DecisionStatus",
    "EscalationReason",
    "FinalizeEvent",
    "FinalizeEventKind",
    "FinalizeState",
    "Header",
    "HumanAction",
    "HumanDecision",
    "HumanReviewTask",
    "Identifier",
    "ImageMediaType",
    "ModerationRequest",
    "ParkedDecision",
    "Party",
    "Payload",
    "Priority",
    "RequestContext",
    "ReviewRequest",
    "Severity",
    "ShadowComparison",
    "ShadowSide",
    "ShadowStage",
    "Source",
    "Tier",
    "TierCost",
    "TopicSpec",
    "UtcDatetime",
    "Verdict",
    "dump_payload",
    "parse_payload",
    "topic_for",
    "topics_read_by",
    "topics_written_by",
    "utc_now",
]
