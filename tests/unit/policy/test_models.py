"""Policy thresholds, auto-removal, validation and fingerprints (pure, no I/O)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from moderation.policy import CategoryRule, FailMode, Policy, PolicyExample
from moderation_contracts import CategoryScore, Priority, Severity


def score(category: str, severity: str, confidence: float) -> CategoryScore:
    return CategoryScore(category=category, severity=Severity(severity), confidence=confidence)


def make_policy(**changes: object) -> Policy:
    fields: dict[str, object] = {
        "policy_id": "test",
        "version": "1",
        "text": "Be kind.",
        "categories": {
            "harassment": CategoryRule(description="insults"),
            "spam": CategoryRule(
                description="ads", flag_at=Severity.MEDIUM, flag_min_confidence=0.7
            ),
            "violence": CategoryRule(
                description="violence",
                flag_at=Severity.MEDIUM,
                auto_remove_at=Severity.HIGH,
                auto_remove_min_confidence=0.9,
            ),
        },
    }
    fields.update(changes)
    return Policy.model_validate(fields)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], []),
        ([score("harassment", "low", 0.5)], ["harassment"]),
        ([score("harassment", "low", 0.49)], []),
        ([score("spam", "low", 0.99)], []),
        ([score("spam", "medium", 0.69)], []),
        ([score("spam", "high", 0.7)], ["spam"]),
        ([score("unknown", "high", 1.0)], []),
        ([score("spam", "medium", 0.8), score("harassment", "high", 0.9)], ["spam", "harassment"]),
    ],
)
def test_flagged_needs_both_severity_and_confidence(
    scores: list[CategoryScore], expected: list[str]
) -> None:
    policy = make_policy()
    assert [s.category for s in policy.flagged(scores)] == expected
    assert policy.is_flagged(scores) is bool(expected)


def test_auto_removable_is_off_unless_the_policy_allows_it() -> None:
    scores = [score("violence", "high", 0.95)]
    assert make_policy().auto_removable(scores) is False
    assert make_policy(sonnet_may_remove=True).auto_removable(scores) is True


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([score("violence", "high", 0.95)], True),
        ([score("violence", "high", 0.89)], False),  # not confident enough
        ([score("violence", "medium", 0.99)], False),  # flagged but below auto_remove_at
        ([score("violence", "high", 0.95), score("harassment", "medium", 0.9)], False),
        ([score("violence", "high", 0.95), score("harassment", "low", 0.1)], True),  # not flagged
        ([], False),
        ([score("harassment", "high", 1.0)], False),  # no auto_remove_at
    ],
)
def test_auto_removable_requires_every_flagged_category_to_cross(
    scores: list[CategoryScore], expected: bool
) -> None:
    assert make_policy(sonnet_may_remove=True).auto_removable(scores) is expected


def test_category_names_keep_policy_order() -> None:
    assert make_policy().category_names() == ["harassment", "spam", "violence"]


def test_fingerprint_is_stable_and_tracks_content() -> None:
    first, second = make_policy(), make_policy()
    assert first.fingerprint == second.fingerprint
    assert len(first.fingerprint) == 64
    changed = make_policy(review_clear_below=0.2)
    assert changed.fingerprint != first.fingerprint
    assert changed.content_hash_key() != first.content_hash_key()
    assert first.content_hash_key().startswith("test:1:")
    copied = first.model_copy(update={"review_clear_below": 0.2})
    assert copied.fingerprint == changed.fingerprint


def test_defaults() -> None:
    policy = make_policy()
    assert policy.fail_mode is FailMode.CLOSED
    assert policy.sonnet_may_remove is False
    assert policy.review_clear_below == 0.35
    assert policy.review_deadline(Priority.CRITICAL) < policy.review_deadline(Priority.LOW)
    rule = CategoryRule(description="x")
    assert (rule.flag_at, rule.flag_min_confidence) == (Severity.LOW, 0.5)
    assert (rule.auto_remove_at, rule.auto_remove_min_confidence) == (None, 0.9)


def test_models_are_frozen() -> None:
    policy = make_policy()
    with pytest.raises(ValidationError):
        policy.version = "2"  # type: ignore[misc]


def test_auto_remove_below_flag_is_rejected() -> None:
    with pytest.raises(ValidationError, match="auto_remove_at"):
        CategoryRule(description="x", flag_at=Severity.HIGH, auto_remove_at=Severity.LOW)


def test_examples_must_use_policy_categories() -> None:
    example = PolicyExample(text="buy now", categories=[score("ads", "low", 0.5)], rationale="ad")
    with pytest.raises(ValidationError, match="'ads'"):
        make_policy(examples=[example])


@pytest.mark.parametrize(
    "change",
    [
        {"version": "has space"},
        {"categories": {}},
        {"categories": {"Bad Name": {"description": "x"}}},
        {"review_clear_below": 1.5},
        {"review_deadline_hours": {"normal": 0}},
        {"fail_mode": "sideways"},
        {"surprise": True},
    ],
)
def test_invalid_policies_are_rejected(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        make_policy(**change)
