"""The routing decision table: where an item goes after each tier. Pure, no I/O.

| tier   | model outcome                          | route                                    |
|--------|----------------------------------------|------------------------------------------|
| triage | judged, nothing crosses a threshold    | ALLOW (decided_by haiku)                 |
| triage | judged, flagged                        | REVIEW (+ pending_review decision)       |
| triage | refused / invalid after retry          | REVIEW (one tier up)                     |
| triage | item rejected by the API (400/404/413) | REVIEW (one tier up, with the reason)    |
| triage | unavailable, policy fails closed       | HUMAN (tier_unavailable)                 |
| triage | unavailable, policy fails open         | ALLOW (decided_by fallback, marked)      |
| review | judged, no category / all below clear  | ALLOW (decided_by sonnet; overturn)      |
| review | judged, flagged, policy lets it remove | REMOVE (decided_by sonnet)               |
| review | judged, flagged                        | HUMAN (flagged_confirmed)                |
| review | judged, unsure (listed, not flagged)   | HUMAN (review_unsure)                    |
| review | refused / invalid after retry          | HUMAN (model_refused / invalid_output)   |
| review | item rejected by the API               | HUMAN (item_rejected_by_api)             |
| review | unavailable                            | fail mode: HUMAN or ALLOW (fallback)     |

Only "unavailable" (timeouts, 429/5xx after retries, an open circuit) may fail open. An error
that belongs to the item never does; a configuration failure (401/402/403) never reaches this
table: the worker stops taking work instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from moderation.llm.judge import Judgement, JudgementKind
from moderation.policy import FailMode, Policy
from moderation_contracts import CategoryScore, EscalationReason, Priority, Severity, Tier


class Route(StrEnum):
    ALLOW = "allow"
    REVIEW = "review"
    HUMAN = "human"
    REMOVE = "remove"


@dataclass(frozen=True)
class Routing:
    route: Route
    decided_by: Tier
    reason: str
    escalation: EscalationReason | None = None
    priority: Priority = Priority.NORMAL

    @property
    def label(self) -> str:
        """Route label for metrics and spans, e.g. ``human:tier_unavailable``."""
        return f"{self.route}:{self.escalation}" if self.escalation else str(self.route)


def _describe(scores: list[CategoryScore]) -> str:
    return ", ".join(f"{s.category} {s.severity} ({s.confidence:.2f})" for s in scores)


def _fail(policy: Policy, tier: Tier, judgement: Judgement) -> Routing:
    why = f"{tier} tier unavailable: {judgement.detail}"
    if policy.fail_mode is FailMode.OPEN:
        return Routing(Route.ALLOW, Tier.FALLBACK, f"{why}; policy fails open")
    return Routing(
        Route.HUMAN,
        Tier.FALLBACK,
        f"{why}; policy fails closed",
        EscalationReason.TIER_UNAVAILABLE,
        Priority.LOW,
    )


def route_triage(judgement: Judgement, policy: Policy) -> Routing:
    if judgement.kind is JudgementKind.UNAVAILABLE:
        return _fail(policy, Tier.HAIKU, judgement)
    if judgement.kind is JudgementKind.REFUSED:
        return Routing(Route.REVIEW, Tier.HAIKU, f"haiku {judgement.detail}")
    if judgement.kind is JudgementKind.REJECTED:
        return Routing(Route.REVIEW, Tier.HAIKU, judgement.detail)
    if judgement.kind is JudgementKind.INVALID or judgement.verdict is None:
        return Routing(Route.REVIEW, Tier.HAIKU, "haiku output invalid after one retry")
    flagged = policy.flagged(judgement.verdict.categories)
    if not flagged:
        return Routing(Route.ALLOW, Tier.HAIKU, "no category crossed the policy's flag threshold")
    return Routing(Route.REVIEW, Tier.HAIKU, f"flagged: {_describe(flagged)}")


def route_review(judgement: Judgement, policy: Policy) -> Routing:
    if judgement.kind is JudgementKind.UNAVAILABLE:
        return _fail(policy, Tier.SONNET, judgement)
    if judgement.kind is JudgementKind.REFUSED:
        return Routing(
            Route.HUMAN,
            Tier.SONNET,
            f"sonnet {judgement.detail}",
            EscalationReason.MODEL_REFUSED,
            Priority.HIGH,
        )
    if judgement.kind is JudgementKind.REJECTED:
        return Routing(
            Route.HUMAN,
            Tier.SONNET,
            judgement.detail,
            EscalationReason.ITEM_REJECTED_BY_API,
        )
    if judgement.kind is JudgementKind.INVALID or judgement.verdict is None:
        return Routing(
            Route.HUMAN,
            Tier.SONNET,
            "sonnet output invalid after one retry",
            EscalationReason.INVALID_MODEL_OUTPUT,
        )
    scores = judgement.verdict.categories
    if all(score.confidence < policy.review_clear_below for score in scores):
        return Routing(Route.ALLOW, Tier.SONNET, "cleared on review")
    flagged = policy.flagged(scores)
    if flagged and policy.auto_removable(scores):
        return Routing(Route.REMOVE, Tier.SONNET, f"removed by policy: {_describe(flagged)}")
    if flagged:
        return Routing(
            Route.HUMAN,
            Tier.SONNET,
            f"confirmed: {_describe(flagged)}",
            EscalationReason.FLAGGED_CONFIRMED,
            priority_for(flagged),
        )
    return Routing(
        Route.HUMAN,
        Tier.SONNET,
        f"unsure: {_describe(scores)}",
        EscalationReason.REVIEW_UNSURE,
        Priority.LOW,
    )


_URGENT = ("self-harm", "sexual/minors", "violence", "harassment/threatening", "hate/threatening")


def priority_for(flagged: list[CategoryScore]) -> Priority:
    """Imminent-harm categories first, then by the worst severity."""
    if any(s.category.startswith(_URGENT) and s.severity is Severity.HIGH for s in flagged):
        return Priority.CRITICAL
    if any(s.severity is Severity.HIGH for s in flagged):
        return Priority.HIGH
    return Priority.NORMAL
