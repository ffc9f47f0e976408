"""The tier settings that drive the gateway, and the budget check against the item deadline."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

import pytest
from pydantic import ValidationError

from moderation.llm.classify import Classifier
from moderation.llm.gateway import CallContext, ModelGateway, Resilience
from moderation.llm.judge import JudgeRequest, TierConfig
from moderation.policy import PolicyBook
from moderation.settings import Settings
from moderation_contracts import Tier
from moderation_contracts import examples as ex


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


def test_a_model_without_a_price_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_TRIAGE__MODEL", "claude-haiku-9")
    with pytest.raises(ValidationError, match=r"MODERATION_TRIAGE__MODEL='claude-haiku-9' has no"):
        Settings()


def test_a_configured_price_makes_an_unlisted_model_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_TRIAGE__MODEL", "claude-haiku-9")
    monkeypatch.setenv("MODERATION_TRIAGE__PRICE__INPUT", "2")
    monkeypatch.setenv("MODERATION_TRIAGE__PRICE__OUTPUT", "8")
    table = Settings().price_table()
    cost = table.cost("claude-haiku-9", {"input_tokens": 1_000_000, "output_tokens": 500_000})
    assert cost.total_usd == Decimal("6")


def test_dated_snapshot_ids_are_accepted_and_priced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_TRIAGE__MODEL", "claude-haiku-4-5-20251001")
    monkeypatch.setenv("MODERATION_REVIEW__MODEL", "claude-sonnet-4-6-20260101")
    settings = Settings()
    usage = {"input_tokens": 1_000_000, "output_tokens": 0}
    assert settings.price_table().cost(settings.triage.model, usage).total_usd == Decimal("1")
    assert settings.price_table().cost(settings.review.model, usage).total_usd == Decimal("3")


@pytest.mark.parametrize(
    ("budget", "max_tokens", "problem"),
    [("512", "4000", "below the API's minimum of 1024"), ("2048", "2048", "must be below")],
)
def test_an_unusable_thinking_budget_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, budget: str, max_tokens: str, problem: str
) -> None:
    monkeypatch.setenv("MODERATION_REVIEW__THINKING_BUDGET", budget)
    monkeypatch.setenv("MODERATION_REVIEW__MAX_TOKENS", max_tokens)
    with pytest.raises(ValidationError, match=problem):
        Settings()
    monkeypatch.setenv("MODERATION_REVIEW__MAX_TOKENS", "4096")
    monkeypatch.setenv("MODERATION_REVIEW__THINKING_BUDGET", "1024")
    assert Settings().review.thinking_budget == 1024


def test_the_thinking_budget_is_part_of_max_tokens_in_the_request() -> None:
    config = TierConfig(Tier.SONNET, "claude-sonnet-4-6", max_tokens=4096, thinking_budget=1024)
    policy = PolicyBook.load(None).default
    request = ex.request()
    ask = JudgeRequest(request, policy, CallContext("triage"))
    body = Classifier(cast(ModelGateway, None), config).build_request(ask)
    assert body.body()["max_tokens"] == 4096
    assert body.body()["thinking"] == {"type": "enabled", "budget_tokens": 1024}


def test_the_worker_exits_2_naming_the_variable_and_never_echoes_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-very-secret-value")
    monkeypatch.setenv("MODERATION_TRIAGE__MODEL", "claude-haiku-9")
    from moderation.cli import main

    assert main(["worker", "--no-create-topics"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "MODERATION_TRIAGE__MODEL" in err
    assert "sk-very-secret-value" not in err
