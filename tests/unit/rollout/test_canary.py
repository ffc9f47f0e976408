"""Canary rollouts and deterministic shares: who moves, config ids, per-config metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderation.errors import ConfigurationError
from moderation.levers import CanarySettings, CanaryUnit
from moderation.llm.judge import JudgeRequest
from moderation.policy import PolicyBook
from moderation.rollout.canary import CanaryJudge, CanaryPolicyBook, goes_to_candidate
from moderation.rollout.configs import load_config
from moderation.rollout.sampling import in_share, position
from moderation.rollout.stamp import StampedJudge
from tests.support.judges import FakeJudge, context, request
from tests.support.rollout import metrics, points

BOOK = PolicyBook.load()


def test_shares_are_deterministic_and_only_grow() -> None:
    keys = [f"tenant-{i}" for i in range(10_000)]
    at_10 = {k for k in keys if in_share(k, 10, "canary")}
    at_20 = {k for k in keys if in_share(k, 20, "canary")}
    assert at_10 <= at_20
    assert 900 <= len(at_10) <= 1100  # a fixed set of keys: the count never changes run to run
    assert 1900 <= len(at_20) <= 2100
    assert not any(in_share(k, 0, "canary") for k in keys)
    assert all(in_share(k, 100, "canary") for k in keys)
    assert position("tenant-1", "canary") == position("tenant-1", "canary")
    assert position("tenant-1", "canary") != position("tenant-1", "other-salt")


def test_tenant_unit_moves_whole_tenants_item_unit_splits_them() -> None:
    by_tenant = CanarySettings(share_percent=50, unit=CanaryUnit.TENANT)
    by_item = CanarySettings(share_percent=50, unit=CanaryUnit.ITEM)
    items = [request(f"c-{i}", "acme") for i in range(200)]
    assert len({goes_to_candidate(item, by_tenant) for item in items}) == 1
    assert {goes_to_candidate(item, by_item) for item in items} == {True, False}


async def test_canary_judges_the_share_with_the_candidate_and_records_config_ids() -> None:
    rollout_metrics, reader = metrics()
    baseline = StampedJudge(FakeJudge("claude-haiku-4-5"), "baseline", rollout_metrics, "triage")
    candidate = StampedJudge(
        FakeJudge("claude-haiku-5-5", config_id="next"), "next", rollout_metrics, "triage"
    )
    judge = CanaryJudge(baseline, candidate, CanarySettings(share_percent=30, unit=CanaryUnit.ITEM))
    policy = BOOK.default
    seen: dict[str, int] = {}
    for index in range(300):
        item = request(f"c-{index}")
        answer = await judge.classify(JudgeRequest(item, policy, context(item)))
        assert answer.verdict is not None
        assert answer.verdict.config_id == answer.config_id
        expected = "next" if in_share(item.content_id, 30, "canary") else "baseline"
        assert answer.config_id == expected
        seen[answer.config_id] = seen.get(answer.config_id, 0) + 1
    assert 60 <= seen["next"] <= 120
    counted = points(reader, "moderation.rollout.judgements")
    by_config = {dict(k)["moderation.config_id"]: v for k, v in counted.items()}
    assert by_config == seen
    assert judge.config.model == "claude-haiku-4-5"


async def test_promote_and_roll_back_with_one_setting() -> None:
    item = request()
    baseline, candidate = FakeJudge("claude-haiku-4-5"), FakeJudge("claude-haiku-5-5")
    for share, model in ((100, "claude-haiku-5-5"), (0, "claude-haiku-4-5")):
        judge = CanaryJudge(baseline, candidate, CanarySettings(share_percent=share))
        answer = await judge.classify(JudgeRequest(item, BOOK.default, context(item)))
        assert answer.model == model


def test_policy_canary_gives_tenants_in_the_share_the_candidates_policy(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text('version: "2027.01"\n')
    config_file = tmp_path / "next.yaml"
    config_file.write_text(
        "id: next\npolicy_file: policy.yaml\ntriage: {model: claude-haiku-5-5}\n"
    )
    config = load_config(config_file)
    assert config.policy_file == policy_file.resolve()
    book = CanaryPolicyBook.of(BOOK, config.policies(), CanarySettings(share_percent=50))
    versions = {
        tenant: book.for_tenant(tenant).version for tenant in (f"t-{i}" for i in range(100))
    }
    assert set(versions.values()) == {BOOK.default.version, "2027.01"}
    for tenant, version in versions.items():
        assert (version == "2027.01") == in_share(tenant, 50, "canary")


def test_config_file_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntriage: {modle: claude-haiku-5-5}\n")
    with pytest.raises(
        ConfigurationError, match=r"bad\.yaml: \(top\): .*triage: unknown settings \['modle'\]"
    ):
        load_config(bad)
    with pytest.raises(ConfigurationError, match="cannot read config"):
        load_config(tmp_path / "missing.yaml")
    bad.write_text("- a list\n")
    with pytest.raises(ConfigurationError, match="expected a mapping"):
        load_config(bad)
