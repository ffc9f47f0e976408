"""Batch mode without I/O: request shape, result translation, collection, fallbacks, pricing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from opentelemetry.trace import NoOpTracer

from moderation.batch import (
    BatchClassifier,
    BatchSubmitter,
    batch_params,
)
from moderation.levers import BatchSettings
from moderation.llm.classify import Classifier
from moderation.llm.gateway import CallContext, LlmRequest
from moderation.llm.judge import Judgement, JudgementKind, JudgeRequest, TierConfig
from moderation.llm.replies import judgement_of, reply_of
from moderation.policy import Policy, PolicyBook
from moderation.pricing import PriceTable, TokenUsage
from moderation.prompts import InvalidModelOutput
from moderation.settings import Settings
from moderation_contracts import ModerationRequest, Tier, TierCost

CONFIG = TierConfig(Tier.HAIKU, "claude-haiku-4-5", 400)
USAGE = {"input_tokens": 120, "output_tokens": 40, "cache_read_input_tokens": 5000}


def policy() -> Policy:
    return PolicyBook.load().for_tenant("acme")


def item(content_id: str, text: str = "hello") -> ModerationRequest:
    return ModerationRequest(
        content_id=content_id, tenant_id="acme", text=text, submitted_at=datetime.now(UTC)
    )


def message(tool_input: object, stop_reason: str = "tool_use") -> SimpleNamespace:
    return SimpleNamespace(
        id="msg_1",
        model="claude-haiku-4-5",
        stop_reason=stop_reason,
        usage=USAGE,
        content=[SimpleNamespace(type="tool_use", input=tool_input)],
        stop_details=None,
    )


CLEAN = {"categories": [], "rationale": ""}
FLAGGED = {
    "categories": [{"category": "violence", "severity": "high", "confidence": 0.9}],
    "rationale": "a threat",
}


@dataclass
class FakeBatches:
    """In-memory batches API: ends after ``polls`` retrieves; answers by script."""

    answer: dict[str, object] = field(default_factory=dict)  # text -> tool input or a type
    polls: int = 1
    fail_create: bool = False
    created: list[list[dict[str, Any]]] = field(default_factory=list)
    canceled: list[str] = field(default_factory=list)
    _left: dict[str, int] = field(default_factory=dict)

    async def create(self, *, requests: Any) -> Any:
        if self.fail_create:
            raise ConnectionError("boom")
        self.created.append(list(requests))
        batch_id = f"b{len(self.created)}"
        self._left[batch_id] = self.polls
        return SimpleNamespace(id=batch_id, processing_status="in_progress")

    async def retrieve(self, message_batch_id: str) -> Any:
        self._left[message_batch_id] -= 1
        ended = self._left[message_batch_id] <= 0
        return SimpleNamespace(
            id=message_batch_id, processing_status="ended" if ended else "in_progress"
        )

    async def cancel(self, message_batch_id: str) -> Any:
        self.canceled.append(message_batch_id)

    async def results(self, message_batch_id: str) -> Any:
        index = int(message_batch_id[1:]) - 1
        lines = []
        for request in reversed(self.created[index]):  # results come in no particular order
            text = request["params"]["messages"][0]["content"][-1]["text"]
            scripted = next((v for k, v in self.answer.items() if k in text), CLEAN)
            if scripted in ("errored", "expired"):
                result = SimpleNamespace(type=scripted)
            else:
                result = SimpleNamespace(type="succeeded", message=message(scripted))
            lines.append(SimpleNamespace(custom_id=request["custom_id"], result=result))

        async def iterate() -> Any:
            for line in lines:
                yield line

        return iterate()


@dataclass
class FallbackJudge:
    calls: list[str] = field(default_factory=list)
    config: TierConfig = CONFIG

    def build_request(self, ask: JudgeRequest) -> LlmRequest:
        builder = Classifier(None, self.config)  # type: ignore[arg-type]  # never calls the API
        return builder.build_request(ask)

    async def classify(self, ask: JudgeRequest) -> Judgement:
        request = ask.item
        self.calls.append(request.content_id)
        cost = TierCost(tier=Tier.HAIKU, model=CONFIG.model, calls=1, cost_usd=0.01)
        return Judgement(JudgementKind.UNAVAILABLE, (cost,), detail="interactive", model="m")


def make(api: FakeBatches, **settings: Any) -> tuple[BatchClassifier, FallbackJudge]:
    options = {"max_wait_ms": 20.0, "poll_interval_s": 0.001, **settings}
    fallback = FallbackJudge()
    submitter = BatchSubmitter(api, BatchSettings(**options))
    return BatchClassifier(fallback, submitter, NoOpTracer()), fallback


def context(content_id: str) -> CallContext:
    return CallContext(stage="triage", content_id=content_id)


def test_batch_params_are_the_interactive_body() -> None:
    call = FallbackJudge().build_request(JudgeRequest(item("a"), policy(), context("a")))
    params = batch_params(call)
    assert params["model"] == "claude-haiku-4-5"
    assert params["tool_choice"] == {"type": "tool", "name": "record_verdict"}
    assert params["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "thinking" not in params


async def test_a_batch_result_is_priced_at_half() -> None:
    judge, fallback = make(FakeBatches(answer={"bad words": FLAGGED}))
    judged = await judge.classify(JudgeRequest(item("c", "bad words"), policy(), context("c")))
    assert judged.verdict is not None
    assert judged.verdict.flagged
    (cost,) = judged.costs
    full = PriceTable.default().cost("claude-haiku-4-5", TokenUsage.of(USAGE))
    assert cost.cost_usd == pytest.approx(float(full.total_usd) / 2)
    assert cost.cache_read_input_tokens == 5000
    assert fallback.calls == []


def test_a_batch_message_reads_like_an_interactive_reply() -> None:
    half = PriceTable.default().cost_or_zero("claude-haiku-4-5", TokenUsage.of(USAGE), batch=True)
    refused = judgement_of(reply_of(message(None, "refusal"), half, 0.0), CONFIG, policy(), ())
    assert refused.kind is JudgementKind.REFUSED
    assert refused.detail == "refused (no category given)"
    with pytest.raises(InvalidModelOutput):
        judgement_of(reply_of(message({"oops": 1}), half, 0.0), CONFIG, policy(), ())


async def test_items_collected_in_the_window_go_out_as_one_batch() -> None:
    api = FakeBatches(answer={"bad words": FLAGGED}, polls=3)
    judge, fallback = make(api)
    texts = ["fine", "bad words", "fine too"]
    answers = await asyncio.gather(
        *(
            judge.classify(JudgeRequest(item(f"c{n}", text), policy(), context(f"c{n}")))
            for n, text in enumerate(texts)
        )
    )
    assert len(api.created) == 1
    assert len(api.created[0]) == 3
    assert [a.verdict.flagged for a in answers if a.verdict] == [False, True, False]
    assert fallback.calls == []
    assert all(a.costs[0].cost_usd > 0 for a in answers)


async def test_max_items_splits_batches() -> None:
    api = FakeBatches()
    judge, _ = make(api, max_items=2, max_wait_ms=10_000)
    await asyncio.gather(
        *(judge.classify(JudgeRequest(item(f"c{n}"), policy(), context(f"c{n}"))) for n in range(4))
    )
    assert [len(b) for b in api.created] == [2, 2]


@pytest.mark.parametrize("scripted", ["errored", "expired", {"oops": 1}])
async def test_unanswered_items_fall_back_to_interactive_calls(scripted: object) -> None:
    api = FakeBatches(answer={"odd": scripted})
    judge, fallback = make(api)
    good, odd = await asyncio.gather(
        judge.classify(JudgeRequest(item("good"), policy(), context("good"))),
        judge.classify(JudgeRequest(item("odd", "odd"), policy(), context("odd"))),
    )
    assert good.kind is JudgementKind.JUDGED
    assert fallback.calls == ["odd"]
    assert odd.detail == "interactive"
    spent_in_batch = 1 if isinstance(scripted, dict) else 0
    assert len(odd.costs) == spent_in_batch + 1


async def test_a_batch_that_cannot_be_created_or_never_ends_falls_back() -> None:
    broken = FakeBatches(fail_create=True)
    judge, fallback = make(broken)
    await judge.classify(JudgeRequest(item("a"), policy(), context("a")))
    assert fallback.calls == ["a"]
    slow = FakeBatches(polls=10**9)
    judge, fallback = make(slow, give_up_s=0.05)
    await judge.classify(JudgeRequest(item("b"), policy(), context("b")))
    assert fallback.calls == ["b"]
    assert slow.canceled == ["b1"]


def test_settings_choose_the_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not Settings().batch.covers("triage"), "batch mode is off by default"
    monkeypatch.setenv("MODERATION_BATCH__ENABLED", "true")
    assert Settings().batch.covers("triage")
    assert not Settings().batch.covers("review")
    monkeypatch.setenv("MODERATION_BATCH__TIERS", "triage,review")
    assert Settings().batch.covers("review")
