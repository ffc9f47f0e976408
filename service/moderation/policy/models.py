"""Policy as data: categories with thresholds, fail mode, worked examples, and the pure checks
that apply the thresholds to a model's category scores.

Policies are immutable values; treat their dicts and lists as read-only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Final, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from moderation_contracts import (
    CategoryName,
    CategoryScore,
    Identifier,
    Priority,
    Severity,
    StatementCategory,
)

Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
NonEmptyText = Annotated[str, StringConstraints(min_length=1, strip_whitespace=False)]

DEFAULT_REVIEW_DEADLINE_HOURS: Final[dict[Priority, float]] = {
    Priority.CRITICAL: 1.0,
    Priority.HIGH: 4.0,
    Priority.NORMAL: 24.0,
    Priority.LOW: 72.0,
}


class FailMode(StrEnum):
    """What happens to an item when a model tier is unavailable."""

    CLOSED = "closed"
    """Send the item to human review (the safe default)."""
    OPEN = "open"
    """Allow the item, marked as decided by the fallback."""


class _PolicyModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class CategoryRule(_PolicyModel):
    """One category: its definition for the model and the thresholds the service applies."""

    description: NonEmptyText
    flag_at: Severity = Severity.LOW
    flag_min_confidence: Probability = 0.5
    auto_remove_at: Severity | None = None
    auto_remove_min_confidence: Probability = 0.9

    @model_validator(mode="after")
    def _auto_remove_not_below_flag(self) -> Self:
        if self.auto_remove_at is not None and self.auto_remove_at.rank < self.flag_at.rank:
            raise ValueError("auto_remove_at must not be below flag_at")
        return self

    def flags(self, score: CategoryScore) -> bool:
        """The score crosses this category's flag threshold."""
        return (
            score.severity.rank >= self.flag_at.rank
            and score.confidence >= self.flag_min_confidence
        )

    def removes(self, score: CategoryScore) -> bool:
        """The score crosses this category's auto-remove threshold (never when unset)."""
        return (
            self.auto_remove_at is not None
            and score.severity.rank >= self.auto_remove_at.rank
            and score.confidence >= self.auto_remove_min_confidence
        )


class DecisionFacts(StrEnum):
    """What a statement of reasons says as its facts."""

    RATIONALE = "rationale"
    """The decision's rationale (the model's or the reviewer's words about the content)."""
    CATEGORIES = "categories"
    """Only the categories and the policy: for tenants whose rationales may hold personal data."""


class StatementRules(_PolicyModel):
    """How restricting decisions map onto DSA statements of reasons (moderation/statements)."""

    illegal: dict[CategoryName, NonEmptyText] = Field(
        default_factory=dict,
        description="Categories removed as illegal content, with the legal ground; every other "
        "category is removed as incompatible with the terms (the default ground).",
    )
    categories: dict[CategoryName, StatementCategory] = Field(
        default_factory=dict,
        description="Overrides of the built-in mapping to the database's statement categories.",
    )
    decision_facts: DecisionFacts = DecisionFacts.RATIONALE


class PolicyExample(_PolicyModel):
    """A worked example for the prompt: content, the expected verdict, and why."""

    text: NonEmptyText
    categories: list[CategoryScore] = Field(default_factory=list)
    rationale: str = ""


class Policy(_PolicyModel):
    """A versioned moderation policy; every verdict records ``policy_id`` and ``version``."""

    policy_id: Identifier
    version: Identifier
    text: NonEmptyText = Field(description="The policy statement shown to the models.")
    categories: dict[CategoryName, CategoryRule] = Field(min_length=1)
    fail_mode: FailMode = FailMode.CLOSED
    examples: list[PolicyExample] = Field(default_factory=list)
    review_clear_below: Probability = Field(
        default=0.35,
        description="The review tier clears an item when every confidence is below this.",
    )
    sonnet_may_remove: bool = Field(
        default=False, description="The review tier may remove on its own (auto_remove_at)."
    )
    review_deadline_hours: dict[Priority, Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: dict(DEFAULT_REVIEW_DEADLINE_HOURS)
    )
    appeal_window_days: int = Field(
        default=183,
        ge=1,
        le=3650,
        description="Appeals are heard this long after the final decision (DSA: six months).",
    )
    statements: StatementRules = StatementRules()

    @model_validator(mode="after")
    def _examples_use_known_categories(self) -> Self:
        for index, example in enumerate(self.examples):
            for score in example.categories:
                if score.category not in self.categories:
                    raise ValueError(
                        f"examples[{index}] names category {score.category!r}, "
                        "which the policy does not define"
                    )
        return self

    def category_names(self) -> list[str]:
        """The category names in policy order (the tool schema's enum)."""
        return list(self.categories)

    def flagged(self, scores: Iterable[CategoryScore]) -> list[CategoryScore]:
        """Scores that cross their category's flag threshold; unknown categories are ignored."""
        result: list[CategoryScore] = []
        for score in scores:
            rule = self.categories.get(score.category)
            if rule is not None and rule.flags(score):
                result.append(score)
        return result

    def is_flagged(self, scores: Iterable[CategoryScore]) -> bool:
        """Any score crosses its flag threshold."""
        return bool(self.flagged(scores))

    def auto_removable(self, scores: Iterable[CategoryScore]) -> bool:
        """The review tier may remove the item without a human.

        Only when the policy allows it, something is flagged, and every flagged category has an
        auto-remove threshold that its score crosses.
        """
        if not self.sonnet_may_remove:
            return False
        flagged = self.flagged(scores)
        return bool(flagged) and all(self.categories[s.category].removes(s) for s in flagged)

    def review_deadline(self, priority: Priority) -> float:
        """Hours a human reviewer has for an item of this priority."""
        hours = self.review_deadline_hours.get(priority)
        return DEFAULT_REVIEW_DEADLINE_HOURS[priority] if hours is None else hours

    @property
    def fingerprint(self) -> str:
        """SHA-256 (hex) of the policy's effective content; equal policies share it.

        Computed on each access (about 0.1 ms): a cached value would survive ``model_copy``.
        """
        canonical = json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def content_hash_key(self) -> str:
        """A short key for verdict caches: id, version and the first 16 hex of the fingerprint.

        Combine it with a content hash; an edited policy under an unchanged version still gets
        a new key.
        """
        return f"{self.policy_id}:{self.version}:{self.fingerprint[:16]}"
