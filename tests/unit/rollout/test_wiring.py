"""How the worker wraps a stage's judge; settings that cannot work fail with the variable's name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from moderation.errors import ConfigurationError
from moderation.llm.judge import JudgeRequest
from moderation.policy import PolicyBook
from moderation.rollout.canary import CanaryJudge, CanaryPolicyBook
from moderation.rollout.shadow import ShadowJudge
from moderation.rollout.stamp import StampedJudge
from moderation.rollout.wiring import Rollout
from moderation.settings import Settings
from moderation.telemetry import setup_for_tests
from moderation_contracts import Tier
from tests.support.judges import FakeJudge, context, request
from tests.support.rollout import Published

BOOK = PolicyBook.load()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith(("MODERATION_SHADOW", "MODERATION_CANARY"))]:
        monkeypatch.delenv(name)


def rollout() -> Rollout:
    return Rollout.of(Settings(), setup_for_tests(), Published())


def config(tmp_path: Path, policy: bool = False) -> Path:
    path = tmp_path / "next.yaml"
    text = "id: next\ntriage: {model: claude-haiku-5-5}\n"
    if policy:
        (tmp_path / "policy.yaml").write_text('version: "2027.01"\n')
        text += "policy_file: policy.yaml\n"
    path.write_text(text)
    return path


async def test_without_rollout_settings_judgements_carry_the_baseline_id() -> None:
    made = rollout()
    judge = made.judge(FakeJudge("claude-haiku-4-5"), Tier.HAIKU)
    assert isinstance(judge, StampedJudge)
    assert made.policies(BOOK) is BOOK
    item = request()
    answer = await judge.classify(JudgeRequest(item, BOOK.default, context(item)))
    assert answer.config_id == "baseline"
    assert answer.verdict is not None
    assert answer.verdict.config_id == "baseline"


def test_shadow_and_canary_wrap_in_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = config(tmp_path, policy=True)
    monkeypatch.setenv("MODERATION_SHADOW__ENABLED", "true")
    monkeypatch.setenv("MODERATION_SHADOW__CONFIG_FILE", str(path))
    monkeypatch.setenv("MODERATION_CANARY__CONFIG_FILE", str(path))
    monkeypatch.setenv("MODERATION_CANARY__SHARE_PERCENT", "10")
    made = rollout()
    triage = made.judge(FakeJudge("claude-haiku-4-5"), Tier.HAIKU)
    review = made.judge(FakeJudge("claude-sonnet-4-6"), Tier.SONNET)
    assert isinstance(triage, ShadowJudge)  # shadow is triage-only by default
    assert isinstance(review, CanaryJudge)
    assert isinstance(made.policies(BOOK), CanaryPolicyBook)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MODERATION_SHADOW__ENABLED": "true"}, "MODERATION_SHADOW__CONFIG_FILE"),
        ({"MODERATION_CANARY__SHARE_PERCENT": "5"}, "MODERATION_CANARY__CONFIG_FILE"),
        (
            {
                "MODERATION_CANARY__SHARE_PERCENT": "5",
                "MODERATION_CANARY__UNIT": "item",
                "MODERATION_CANARY__CONFIG_FILE": "{policy_config}",
            },
            "MODERATION_CANARY__UNIT must be tenant",
        ),
    ],
)
def test_settings_that_cannot_work_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], named: str
) -> None:
    path = str(config(tmp_path, policy=True))
    for name, value in env.items():
        monkeypatch.setenv(name, value.replace("{policy_config}", path))
    with pytest.raises(ConfigurationError, match=named):
        rollout()
