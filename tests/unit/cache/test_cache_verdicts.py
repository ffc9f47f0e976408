"""Verdict cache: key stability and sensitivity, hits, single flight, what is never cached."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from moderation.cache import CachingClassifier, VerdictCacheSettings, verdict_key
from moderation.cache.keys import user_turn
from moderation.llm.classify import Classifier, Judgement, JudgementKind, TierConfig
from moderation.llm.gateway import CallContext, LlmRequest
from moderation.policy import Policy, PolicyBook
from moderation_contracts import (
    CategoryScore,
    ModerationRequest,
    Severity,
    Tier,
    TierCost,
    Verdict,
)

CONFIG = TierConfig(Tier.HAIKU, "claude-haiku-4-5", 400)


def policy() -> Policy:
    return PolicyBook.load().for_tenant("acme")


def item(content_id: str, text: str, locale: str | None = None) -> ModerationRequest:
    return ModerationRequest(
        content_id=content_id,
        tenant_id="acme",
        text=text,
        locale=locale,
        submitted_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def context(content_id: str) -> CallContext:
    return CallContext(stage="triage", content_id=content_id)


def prompt_builder(config: TierConfig) -> Classifier:
    """The real prompt builder (no gateway: it is never called here)."""
    return Classifier(None, config)  # type: ignore[arg-type]


@dataclass
class FakeJudge:
    """Answers from a script per text and counts calls; optionally waits on a gate."""

    kinds: dict[str, JudgementKind] = field(default_factory=dict)
    gate: asyncio.Event | None = None
    calls: list[str] = field(default_factory=list)
    config: TierConfig = CONFIG

    def build_request(
        self, request: ModerationRequest, policy: Policy, triage: Verdict | None, reason: str
    ) -> LlmRequest:
        # The real prompt builder, so keys see exactly what a model would see.
        return prompt_builder(self.config).build_request(request, policy, triage, reason)

    async def classify(
        self,
        request: ModerationRequest,
        policy: Policy,
        context: CallContext,
        *,
        triage: Verdict | None = None,
        reason: str = "",
    ) -> Judgement:
        self.calls.append(request.content_id)
        if self.gate is not None:
            await self.gate.wait()
        text = request.text or ""
        kind = self.kinds.get(text, JudgementKind.JUDGED)
        cost = TierCost(tier=Tier.HAIKU, model=CONFIG.model, calls=1, cost_usd=0.001)
        if kind is not JudgementKind.JUDGED:
            return Judgement(kind, (cost,), detail="scripted", model=CONFIG.model)
        flagged = "hurt" in text
        verdict = Verdict(
            tier=Tier.HAIKU,
            model=CONFIG.model,
            policy_id=policy.policy_id,
            policy_version=policy.version,
            categories=[CategoryScore(category="violence", severity=Severity.HIGH, confidence=0.9)]
            if flagged
            else [],
            flagged=flagged,
            latency_ms=12.5,
            response_id=f"msg_{len(self.calls)}",
        )
        return Judgement(kind, (cost,), verdict=verdict, model=CONFIG.model)


def test_key_depends_on_what_the_model_sees_not_on_ids() -> None:
    judge = FakeJudge()
    rules = policy()

    def key(request: ModerationRequest, config: TierConfig = CONFIG, rules: Policy = rules) -> str:
        return verdict_key(config, rules, user_turn(config.tier, request, None, ""))

    same = key(item("a", "hello there"))
    assert key(item("b", "hello there")) == same
    assert key(item("a", "hello there!")) != same
    assert key(item("a", "hello there", locale="de")) != same
    newer = rules.model_copy(update={"version": rules.version + "-next"})
    assert key(item("a", "hello there"), rules=newer) != same
    bigger = TierConfig(Tier.HAIKU, CONFIG.model, 800)
    assert key(item("a", "hello there"), config=bigger) != same
    assert "hello" not in same, "the key holds a digest, never the content"
    # The key's user turn is exactly what the classifier sends.
    call = judge.build_request(item("a", "hello there"), rules, None, "")
    assert list(call.messages) == list(user_turn(Tier.HAIKU, item("a", "hello there"), None, ""))
    review = TierConfig(Tier.SONNET, "claude-sonnet-4-6", 800)
    reviewed = prompt_builder(review).build_request(
        item("a", "hello there"),
        rules,
        None,
        "flagged by triage",
    )
    turn = user_turn(Tier.SONNET, item("a", "hello there"), None, "flagged by triage")
    assert list(reviewed.messages) == list(turn)


async def test_identical_content_is_judged_once_and_the_copy_costs_nothing() -> None:
    judge = FakeJudge()
    store: dict[str, Any] = {}
    cache = CachingClassifier(judge, store)
    rules = policy()
    first = await cache.classify(item("a", "I will hurt you"), rules, context("a"))
    second = await cache.classify(item("b", "I will hurt you"), rules, context("b"))
    assert judge.calls == ["a"]
    assert first.costs
    assert not second.costs
    assert second.verdict is not None
    assert first.verdict is not None
    assert second.verdict.from_cache
    assert not first.verdict.from_cache
    assert second.verdict.categories == first.verdict.categories
    assert second.verdict.flagged is True
    assert (cache.counters.hits, cache.counters.misses, len(store)) == (1, 1, 1)


async def test_a_new_process_with_the_same_store_still_hits() -> None:
    store: dict[str, Any] = {}
    rules = policy()
    await CachingClassifier(FakeJudge(), store).classify(item("a", "hi"), rules, context("a"))
    restarted = FakeJudge()
    answer = await CachingClassifier(restarted, store).classify(
        item("b", "hi"), rules, context("b")
    )
    assert restarted.calls == []
    assert answer.verdict is not None
    assert answer.verdict.from_cache


@pytest.mark.parametrize(
    "kind", [JudgementKind.REFUSED, JudgementKind.INVALID, JudgementKind.UNAVAILABLE]
)
async def test_failed_judgements_are_never_cached(kind: JudgementKind) -> None:
    judge = FakeJudge(kinds={"odd": kind})
    store: dict[str, Any] = {}
    cache = CachingClassifier(judge, store)
    rules = policy()
    for cid in ("a", "b"):
        answer = await cache.classify(item(cid, "odd"), rules, context(cid))
        assert answer.kind is kind
    assert judge.calls == ["a", "b"]
    assert store == {}


async def test_identical_items_in_flight_share_one_call() -> None:
    gate = asyncio.Event()
    judge = FakeJudge(gate=gate)
    cache = CachingClassifier(judge, {})
    rules = policy()
    tasks = [
        asyncio.create_task(cache.classify(item(f"c{n}", "same words"), rules, context(f"c{n}")))
        for n in range(5)
    ]
    await asyncio.sleep(0.01)
    gate.set()
    answers = await asyncio.gather(*tasks)
    assert judge.calls == ["c0"]
    assert sum(1 for a in answers if a.costs) == 1
    assert cache.counters.shared == 4
    assert cache.counters.hit_ratio == pytest.approx(0.8)


async def test_waiters_call_the_model_themselves_when_the_first_call_fails() -> None:
    gate = asyncio.Event()
    judge = FakeJudge(kinds={"flaky": JudgementKind.UNAVAILABLE}, gate=gate)
    cache = CachingClassifier(judge, {})
    rules = policy()
    tasks = [
        asyncio.create_task(cache.classify(item(f"c{n}", "flaky"), rules, context(f"c{n}")))
        for n in range(2)
    ]
    await asyncio.sleep(0.01)
    gate.set()
    answers = await asyncio.gather(*tasks)
    assert judge.calls == ["c0", "c1"]
    assert all(a.kind is JudgementKind.UNAVAILABLE for a in answers)


async def test_an_unreadable_entry_is_ignored_and_replaced() -> None:
    judge = FakeJudge()
    store: dict[str, Any] = {}
    cache = CachingClassifier(judge, store)
    rules = policy()
    await cache.classify(item("a", "text"), rules, context("a"))
    (key,) = store
    store[key] = {"not": "a verdict"}
    answer = await cache.classify(item("b", "text"), rules, context("b"))
    assert answer.costs
    assert cache.counters.unreadable == 1
    assert store[key]["tier"] == "haiku"


def test_settings_default_on_and_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert VerdictCacheSettings().enabled is True
    monkeypatch.setenv("MODERATION_VERDICT_CACHE__ENABLED", "false")
    monkeypatch.setenv("MODERATION_VERDICT_CACHE__SCOPE", "partitioned")
    read = VerdictCacheSettings()
    assert (read.enabled, read.scope.value) == (False, "partitioned")
