"""Statements of reasons (EU DSA Article 17): one per final decision that restricts content.

Field names and values are those of the EU DSA Transparency Database's statement API, so
``moderation statements export`` can submit them as they are; ``tenant_id``, ``content_id`` and
``decision_id`` are ours (the export leaves them out, ``puid`` carries the decision id).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from moderation_contracts.common import NO_NUL_PATTERN, FreeText, Identifier, Payload, UtcDatetime
from moderation_contracts.limits import MAX_MESSAGE_BYTES

DSA_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
PUID_PATTERN = r"^[a-zA-Z0-9_-]{1,500}$"
MAX_DECISION_FACTS_CHARS = 5000


class DecisionVisibility(StrEnum):
    CONTENT_REMOVED = "DECISION_VISIBILITY_CONTENT_REMOVED"
    CONTENT_DISABLED = "DECISION_VISIBILITY_CONTENT_DISABLED"
    CONTENT_DEMOTED = "DECISION_VISIBILITY_CONTENT_DEMOTED"
    CONTENT_AGE_RESTRICTED = "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED"
    CONTENT_INTERACTION_RESTRICTED = "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED"
    CONTENT_LABELLED = "DECISION_VISIBILITY_CONTENT_LABELLED"
    OTHER = "DECISION_VISIBILITY_OTHER"


class DecisionGround(StrEnum):
    ILLEGAL_CONTENT = "DECISION_GROUND_ILLEGAL_CONTENT"
    INCOMPATIBLE_CONTENT = "DECISION_GROUND_INCOMPATIBLE_CONTENT"


class StatementCategory(StrEnum):
    ANIMAL_WELFARE = "STATEMENT_CATEGORY_ANIMAL_WELFARE"
    CYBER_VIOLENCE = "STATEMENT_CATEGORY_CYBER_VIOLENCE"
    CYBER_VIOLENCE_AGAINST_WOMEN = "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN"
    DATA_PROTECTION_AND_PRIVACY_VIOLATIONS = (
        "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS"
    )
    ILLEGAL_OR_HARMFUL_SPEECH = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    INTELLECTUAL_PROPERTY_INFRINGEMENTS = "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"
    NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS = (
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"
    )
    NON_CONSENSUAL_BEHAVIOUR = "STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR"
    PORNOGRAPHY_OR_SEXUALIZED_CONTENT = "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT"
    PROTECTION_OF_MINORS = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
    RISK_FOR_PUBLIC_SECURITY = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
    SCAMS_AND_FRAUD = "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"
    SELF_HARM = "STATEMENT_CATEGORY_SELF_HARM"
    SCOPE_OF_PLATFORM_SERVICE = "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"
    UNSAFE_AND_ILLEGAL_PRODUCTS = "STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS"
    VIOLENCE = "STATEMENT_CATEGORY_VIOLENCE"


class StatementContentType(StrEnum):
    TEXT = "CONTENT_TYPE_TEXT"
    IMAGE = "CONTENT_TYPE_IMAGE"


class AutomatedDecision(StrEnum):
    FULLY = "AUTOMATED_DECISION_FULLY"
    """A model decided alone (Sonnet removed under the policy's auto-remove rule)."""
    PARTIALLY = "AUTOMATED_DECISION_PARTIALLY"
    """A human decided after a model detected the item."""
    NOT_AUTOMATED = "AUTOMATED_DECISION_NOT_AUTOMATED"
    """A human decided with no model verdict."""


class SourceType(StrEnum):
    ARTICLE_16 = "SOURCE_ARTICLE_16"
    TRUSTED_FLAGGER = "SOURCE_TRUSTED_FLAGGER"
    OTHER_NOTIFICATION = "SOURCE_TYPE_OTHER_NOTIFICATION"
    VOLUNTARY = "SOURCE_VOLUNTARY"


YesNo = Literal["Yes", "No"]
DsaDate = Annotated[str, StringConstraints(pattern=DSA_DATE_PATTERN)]
Puid = Annotated[str, StringConstraints(pattern=PUID_PATTERN, max_length=500)]
GroundText = Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL_PATTERN), FreeText]
Explanation = Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL_PATTERN), FreeText]
Facts = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_DECISION_FACTS_CHARS, pattern=NO_NUL_PATTERN),
    FreeText,
]


class StatementOfReasons(Payload):
    """The statement for one restricting final decision, keyed by ``content_id``."""

    schema_name: ClassVar[str] = "statement-of-reasons"
    max_message_bytes: ClassVar[int] = MAX_MESSAGE_BYTES

    tenant_id: Identifier
    content_id: Identifier
    decision_id: Identifier
    decision_visibility: list[DecisionVisibility] = Field(min_length=1, max_length=7)
    decision_ground: DecisionGround
    illegal_content_legal_ground: GroundText | None = None
    illegal_content_explanation: Explanation | None = None
    incompatible_content_ground: GroundText | None = None
    incompatible_content_explanation: Explanation | None = None
    category: StatementCategory
    category_addition: list[StatementCategory] = Field(default_factory=list, max_length=16)
    content_type: list[StatementContentType] = Field(min_length=1, max_length=2)
    automated_detection: YesNo
    automated_decision: AutomatedDecision
    decision_facts: Facts
    application_date: DsaDate
    content_date: DsaDate
    source_type: SourceType = SourceType.VOLUNTARY
    puid: Puid
    created_at: UtcDatetime

    @model_validator(mode="after")
    def _ground_has_its_fields(self) -> Self:
        if self.decision_ground is DecisionGround.ILLEGAL_CONTENT:
            if not (self.illegal_content_legal_ground and self.illegal_content_explanation):
                raise ValueError("an illegal-content ground needs its legal ground and explanation")
        elif not (self.incompatible_content_ground and self.incompatible_content_explanation):
            raise ValueError("an incompatible-content ground needs its ground and explanation")
        return self

    def dsa_fields(self) -> dict[str, object]:
        """The statement as the Transparency Database's API takes it (our ids left out)."""
        data = self.model_dump(
            mode="json",
            exclude={"schema_version", "tenant_id", "content_id", "decision_id", "created_at"},
            exclude_none=True,
        )
        if not data.get("category_addition"):
            data.pop("category_addition", None)
        return data
