"""The tier settings that drive the gateway, and the budget check against the item deadline."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from moderation.llm.gateway import Resilience
from moderation.settings import Settings


def test_tier_settings_become_the_gateway_resilience(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_TRIAGE__MAX_RETRIES", "4")
    monkeypatch.setenv("MODERATION_TRIAGE__CIRCUIT_FAILURE_THRESHOLD", "7")
    monkeypatch.setenv("MODERATION_TRIAGE__RATE_LIMIT_ADAPTIVE", "false")
    resilience = Resilience.of(Settings().triage)
    assert resilience.retry.max_retries == 4
    assert resilience.retry.budget_s == 20.0
    assert resilience.circuit.failure_threshold == 7
    assert resilience.adaptive_rate_limit is False
    assert Resilience.of(Settings().review).retry.max_retries == 2


def test_a_call_budget_must_fit_twice_in_the_item_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODERATION_REVIEW__CALL_BUDGET_S", "30")
    with pytest.raises(ValidationError, match=r"review.call_budget_s"):
        Settings()
    monkeypatch.setenv("MODERATION_ITEM_DEADLINE_S", "61")
    assert Settings().review.call_budget_s == 30
