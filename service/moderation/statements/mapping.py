"""A restricting final decision -> its statement of reasons. Pure, no I/O.

| decision                            | detection | automated_decision (AUTOMATED_DECISION_) |
|-------------------------------------|-----------|------------------------------------------|
| allowed, rejected, pending_review   | -         | no statement (nothing was restricted)    |
| removed by sonnet (haiku, fallback) | Yes       | FULLY (a model decided alone)            |
| removed by human, model verdicts    | Yes       | PARTIALLY (a human, after the models)    |
| removed by human, no model verdict  | No        | NOT_AUTOMATED                            |

The ground is "incompatible with the terms" unless the tenant's policy lists the category in
``statements.illegal`` (with the legal ground). Policy categories map onto the database's
statement categories (:data:`DEFAULT_CATEGORIES`, overridable per policy); the worst category
is the statement's ``category``, the others go to ``category_addition``.
"""

from __future__ import annotations

import re
from typing import Final

from moderation.policy import Policy
from moderation.policy.models import DecisionFacts
from moderation_contracts import (
    AutomatedDecision,
    ContentKind,
    Decision,
    DecisionGround,
    DecisionStatus,
    DecisionVisibility,
    SourceType,
    StatementCategory,
    StatementContentType,
    StatementOfReasons,
    Tier,
)

DEFAULT_CATEGORIES: Final[dict[str, StatementCategory]] = {
    "harassment": StatementCategory.CYBER_VIOLENCE,
    "harassment/threatening": StatementCategory.CYBER_VIOLENCE,
    "hate": StatementCategory.ILLEGAL_OR_HARMFUL_SPEECH,
    "hate/threatening": StatementCategory.ILLEGAL_OR_HARMFUL_SPEECH,
    "illicit": StatementCategory.UNSAFE_AND_ILLEGAL_PRODUCTS,
    "illicit/violent": StatementCategory.RISK_FOR_PUBLIC_SECURITY,
    "self-harm": StatementCategory.SELF_HARM,
    "self-harm/intent": StatementCategory.SELF_HARM,
    "self-harm/instructions": StatementCategory.SELF_HARM,
    "sexual": StatementCategory.PORNOGRAPHY_OR_SEXUALIZED_CONTENT,
    "sexual/minors": StatementCategory.PROTECTION_OF_MINORS,
    "violence": StatementCategory.VIOLENCE,
    "violence/graphic": StatementCategory.VIOLENCE,
    "spam": StatementCategory.SCAMS_AND_FRAUD,
    "personal_data": StatementCategory.DATA_PROTECTION_AND_PRIVACY_VIOLATIONS,
}
"""The default policy's categories; a category not listed (nor in the policy's overrides) is
SCOPE_OF_PLATFORM_SERVICE (against the service's terms)."""

_KINDS: Final = {
    ContentKind.TEXT: StatementContentType.TEXT,
    ContentKind.IMAGE: StatementContentType.IMAGE,
}
_MODEL_TIERS: Final = frozenset({Tier.HAIKU, Tier.SONNET, Tier.FALLBACK})


def restricts(decision: Decision) -> bool:
    """A final decision that restricts the content (the ones that need a statement)."""
    return decision.final and decision.status is DecisionStatus.REMOVED


def automation(decision: Decision) -> tuple[bool, AutomatedDecision]:
    """(automated detection, automated decision) of a restricting decision."""
    detected = bool(decision.verdicts or decision.models)
    if decision.decided_by in _MODEL_TIERS:
        return True, AutomatedDecision.FULLY
    if detected:
        return True, AutomatedDecision.PARTIALLY
    return False, AutomatedDecision.NOT_AUTOMATED


def statement_category(category: str, policy: Policy) -> StatementCategory:
    return policy.statements.categories.get(category) or DEFAULT_CATEGORIES.get(
        category, StatementCategory.SCOPE_OF_PLATFORM_SERVICE
    )


def _facts(decision: Decision, policy: Policy, names: list[str]) -> str:
    listed = ", ".join(names) or "unspecified"
    generic = (
        f"The content was removed under policy {policy.policy_id} version "
        f"{decision.policy_version or policy.version} for: {listed}."
    )
    if policy.statements.decision_facts is DecisionFacts.RATIONALE and decision.rationale.strip():
        return f"{generic} {decision.rationale.strip()}"[:5000]
    return generic


def statement_for(decision: Decision, policy: Policy) -> StatementOfReasons | None:
    """The statement of a restricting final decision; None when nothing was restricted."""
    if not restricts(decision) or decision.decision_id is None:
        return None
    worst = sorted(decision.categories, key=lambda c: (-c.severity.rank, -c.confidence))
    names = list(dict.fromkeys(c.category for c in worst))
    mapped = list(dict.fromkeys(statement_category(name, policy) for name in names))
    if not mapped:
        mapped = [StatementCategory.SCOPE_OF_PLATFORM_SERVICE]
    illegal = [name for name in names if name in policy.statements.illegal]
    detected, decided = automation(decision)
    content_date = decision.submitted_at or decision.decided_at
    ground: dict[str, object]
    if illegal:
        ground = {
            "decision_ground": DecisionGround.ILLEGAL_CONTENT,
            "illegal_content_legal_ground": "; ".join(
                policy.statements.illegal[name] for name in illegal
            )[:500],
            "illegal_content_explanation": (
                f"The content is illegal content of the categories {', '.join(illegal)}."
            )[:2000],
        }
    else:
        ground = {
            "decision_ground": DecisionGround.INCOMPATIBLE_CONTENT,
            "incompatible_content_ground": (
                f"Policy {policy.policy_id} {decision.policy_version or policy.version}: "
                + (", ".join(names) or "terms of service")
            )[:500],
            "incompatible_content_explanation": (
                f"The content breaks the policy's rules on {', '.join(names) or 'its terms'}."
            )[:2000],
        }
    return StatementOfReasons.model_validate(
        {
            "tenant_id": decision.tenant_id,
            "content_id": decision.content_id,
            "decision_id": decision.decision_id,
            "decision_visibility": [DecisionVisibility.CONTENT_REMOVED],
            **ground,
            "category": mapped[0],
            "category_addition": mapped[1:],
            "content_type": [_KINDS[kind] for kind in decision.content_kinds]
            or [StatementContentType.TEXT],
            "automated_detection": "Yes" if detected else "No",
            "automated_decision": decided,
            "decision_facts": _facts(decision, policy, names),
            "application_date": decision.decided_at.date().isoformat(),
            "content_date": content_date.date().isoformat(),
            "source_type": SourceType.VOLUNTARY,
            "puid": re.sub(r"[^a-zA-Z0-9_-]", "_", decision.decision_id),
            "created_at": decision.decided_at,
        }
    )
