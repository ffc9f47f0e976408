"""Verdict cache: key stability and sensitivity, hits, single flight, what is never cached."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from moderation.cache import CachingClassifier, VerdictStore, verdict_key
from moderation.cache.keys import user_turn
from moderation.llm.classify import Classifier
from moderation.llm.gateway import CallContext, LlmRequest
from moderation.llm.judge import Judgement, JudgementKind, JudgeRequest, TierConfig
from moderation.policy import Policy, PolicyBook
from moderation.settings import Settings
from moderation_contracts import (
    Attachment,
    CategoryScore,
    ImageMediaType,
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


def new_store() -> VerdictStore:
    return VerdictStore(max_entries=100, max_age_s=3600)


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

    def build_request(self, ask: JudgeRequest) -> LlmRequest:
        # The real prompt builder, so keys see exactly what a model would see.
        return prompt_builder(self.config).build_request(ask)

    async def classify(self, ask: JudgeRequest) -> Judgement:
        request, policy = ask.item, ask.policy
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
    call = judge.build_request(JudgeRequest(item("a", "hello there"), rules, context("a")))
    assert list(call.messages) == list(user_turn(Tier.HAIKU, item("a", "hello there"), None, ""))
    review = TierConfig(Tier.SONNET, "claude-sonnet-4-6", 800)
    reviewed = prompt_builder(review).build_request(
        JudgeRequest(item("a", "hello there"), rules, context("a"), reason="flagged by triage")
    )
    turn = user_turn(Tier.SONNET, item("a", "hello there"), None, "flagged by triage")
    assert list(reviewed.messages) == list(turn)


async def test_identical_content_is_judged_once_and_the_copy_costs_nothing() -> None:
    judge = FakeJudge()
    store = new_store()
    cache = CachingClassifier(judge, store)
    rules = policy()
    first = await cache.classify(JudgeRequest(item("a", "I will hurt you"), rules, context("a")))
    second = await cache.classify(JudgeRequest(item("b", "I will hurt you"), rules, context("b")))
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
    assert second.model == first.verdict.model == CONFIG.model, "the model that made it"


@pytest.mark.parametrize(
    "kind", [JudgementKind.REFUSED, JudgementKind.INVALID, JudgementKind.UNAVAILABLE]
)
async def test_failed_judgements_are_never_cached(kind: JudgementKind) -> None:
    judge = FakeJudge(kinds={"odd": kind})
    store = new_store()
    cache = CachingClassifier(judge, store)
    rules = policy()
    for cid in ("a", "b"):
        answer = await cache.classify(JudgeRequest(item(cid, "odd"), rules, context(cid)))
        assert answer.kind is kind
    assert judge.calls == ["a", "b"]
    assert len(store) == 0


async def test_identical_items_in_flight_share_one_call() -> None:
    gate = asyncio.Event()
    judge = FakeJudge(gate=gate)
    cache = CachingClassifier(judge, new_store())
    rules = policy()
    tasks = [
        asyncio.create_task(
            cache.classify(JudgeRequest(item(f"c{n}", "same words"), rules, context(f"c{n}")))
        )
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
    cache = CachingClassifier(judge, new_store())
    rules = policy()
    tasks = [
        asyncio.create_task(
            cache.classify(JudgeRequest(item(f"c{n}", "flaky"), rules, context(f"c{n}")))
        )
        for n in range(2)
    ]
    await asyncio.sleep(0.01)
    gate.set()
    answers = await asyncio.gather(*tasks)
    assert judge.calls == ["c0", "c1"]
    assert all(a.kind is JudgementKind.UNAVAILABLE for a in answers)


def test_settings_default_on_bounded_and_read_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    defaults = Settings().verdict_cache
    assert (defaults.enabled, defaults.max_entries, defaults.max_age_s) == (True, 50_000, 3600.0)
    monkeypatch.setenv("MODERATION_VERDICT_CACHE__ENABLED", "false")
    monkeypatch.setenv("MODERATION_VERDICT_CACHE__MAX_ENTRIES", "10")
    monkeypatch.setenv("MODERATION_VERDICT_CACHE__MAX_AGE_S", "60")
    read = Settings().verdict_cache
    assert (read.enabled, read.max_entries, read.max_age_s) == (False, 10, 60.0)


def test_an_edited_policy_under_the_same_version_gets_new_keys() -> None:
    rules = policy()
    edited = rules.model_copy(update={"text": rules.text + " Also no spoilers."})
    assert edited.version == rules.version
    turn = user_turn(Tier.HAIKU, item("a", "hello"), None, "")
    assert verdict_key(CONFIG, edited, turn) != verdict_key(CONFIG, rules, turn)
    other_model = TierConfig(Tier.HAIKU, "claude-haiku-4-5-20251001", CONFIG.max_tokens)
    assert verdict_key(other_model, rules, turn) != verdict_key(CONFIG, rules, turn)


async def test_an_edited_policy_does_not_reuse_verdicts() -> None:
    judge = FakeJudge()
    cache = CachingClassifier(judge, new_store())
    rules = policy()
    edited = rules.model_copy(update={"text": rules.text + " Also no spoilers."})
    await cache.classify(JudgeRequest(item("a", "same words"), rules, context("a")))
    answer = await cache.classify(JudgeRequest(item("b", "same words"), edited, context("b")))
    assert judge.calls == ["a", "b"]
    assert answer.costs


def with_image(
    content_id: str, *, url: str | None = None, data: bytes | None = None
) -> ModerationRequest:
    if url is not None:
        attachment = Attachment(url=url)
    else:
        assert data is not None
        encoded = base64.b64encode(data).decode()
        attachment = Attachment(data=encoded, media_type=ImageMediaType.PNG)
    return item(content_id, "look").model_copy(update={"attachments": [attachment]})


async def test_url_images_are_never_cached_inline_images_key_on_their_bytes() -> None:
    judge = FakeJudge()
    store = new_store()
    cache = CachingClassifier(judge, store)
    rules = policy()
    url = "https://img.example/cat.png"
    for content_id in ("u1", "u2"):  # the same URL may serve other bytes the second time
        await cache.classify(
            JudgeRequest(with_image(content_id, url=url), rules, context(content_id))
        )
    assert judge.calls == ["u1", "u2"]
    assert len(store) == 0
    assert cache.counters.uncacheable == 2
    await cache.classify(JudgeRequest(with_image("i1", data=b"png-1"), rules, context("i1")))
    await cache.classify(JudgeRequest(with_image("i2", data=b"png-2"), rules, context("i2")))
    await cache.classify(JudgeRequest(with_image("i3", data=b"png-1"), rules, context("i3")))
    assert judge.calls == ["u1", "u2", "i1", "i2"], "same bytes hit, other bytes miss"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def verdict(n: int) -> Verdict:
    return Verdict(
        tier=Tier.HAIKU, model=CONFIG.model, policy_id="p", policy_version="1", flagged=False,
        rationale=str(n),
    )  # fmt: skip


def test_the_store_is_bounded_by_size_least_recently_used_first() -> None:
    store = VerdictStore(max_entries=3, max_age_s=60, clock=FakeClock())
    for n in range(3):
        store.put(f"k{n}", verdict(n))
    assert store.get("k0") is not None  # k0 is now the most recently used
    store.put("k3", verdict(3))
    assert len(store) == 3
    assert store.get("k1") is None, "the least recently used entry went"
    assert [store.get(k) is not None for k in ("k0", "k2", "k3")] == [True, True, True]
    for n in range(4, 1000):
        store.put(f"k{n}", verdict(n))
    assert len(store) == 3
    assert store.counters.evicted == 997


def test_the_store_is_bounded_by_age() -> None:
    clock = FakeClock()
    store = VerdictStore(max_entries=100, max_age_s=60, clock=clock)
    store.put("old", verdict(0))
    clock.now = 30.0
    store.put("young", verdict(1))
    clock.now = 61.0
    assert store.get("old") is None
    assert store.get("young") is not None
    clock.now = 200.0
    store.put("new", verdict(2))  # a write sweeps what expired
    assert len(store) == 1
    assert store.counters.expired == 2
