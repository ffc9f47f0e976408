"""Prompt injection: no corpus sample changes the request's shape, escapes the content block, or
turns a model that "obeys" it into a verdict. The corpus is the prompts area's shared file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest
from opentelemetry import trace

from moderation.llm.classify import Classifier
from moderation.llm.gateway import CallContext, LlmRequest, ModelGateway, build_client
from moderation.llm.judge import JudgementKind, JudgeRequest, TierConfig
from moderation.policy import Policy, PolicyBook
from moderation.prompts import CONTENT_CLOSE, CONTENT_OPEN
from moderation.telemetry import setup_for_tests
from moderation_contracts import CategoryScore, ModerationRequest, Severity, Tier, Verdict

CORPUS = Path(__file__).parents[1] / "prompts" / "injection_corpus.txt"
SAMPLES = [s for s in CORPUS.read_text(encoding="utf-8").split("\n%%\n") if s.strip()]
POLICY: Policy = PolicyBook.load(None).default
TRIAGE = TierConfig(Tier.HAIKU, "claude-haiku-4-5", 300)
REVIEW = TierConfig(Tier.SONNET, "claude-sonnet-4-6", 600)
TRACER = trace.NoOpTracer()


def item(text: str) -> ModerationRequest:
    return ModerationRequest(
        content_id="c-inj",
        tenant_id="acme",
        text=text,
        submitted_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def build(config: TierConfig, text: str) -> LlmRequest:
    gateway = ModelGateway(build_client("k", "http://api.invalid", timeout_s=1), TRACER)
    classifier = Classifier(gateway, config)
    triage = Verdict(
        tier=Tier.HAIKU,
        model="claude-haiku-4-5",
        policy_id=POLICY.policy_id,
        policy_version=POLICY.version,
        categories=[CategoryScore(category="harassment", severity=Severity.MEDIUM, confidence=0.7)],
        flagged=True,
        rationale="flagged",
    )
    verdict = triage if config.tier is Tier.SONNET else None
    return classifier.build_request(
        JudgeRequest(item(text), POLICY, CallContext("review"), verdict, "flagged")
    )


def user_text(request: LlmRequest) -> str:
    last = request.messages[-1]
    blocks = last["content"]
    return "".join(block["text"] for block in blocks if block.get("type") == "text")


def test_the_corpus_is_not_empty() -> None:
    assert len(SAMPLES) >= 10


@pytest.mark.parametrize("config", [TRIAGE, REVIEW], ids=["triage", "review"])
@pytest.mark.parametrize("sample", SAMPLES, ids=[f"s{i}" for i in range(len(SAMPLES))])
def test_a_sample_cannot_change_the_request_or_leave_its_block(
    config: TierConfig, sample: str
) -> None:
    benign = build(config, "a perfectly normal sentence")
    hostile = build(config, sample)
    # Everything the model is told to do, and how it must answer, is the same.
    assert hostile.system == benign.system
    assert hostile.tools == benign.tools
    assert hostile.tool_choice == benign.tool_choice == {"type": "tool", "name": "record_verdict"}
    assert [m["role"] for m in hostile.messages] == [m["role"] for m in benign.messages]
    # The content sits inside exactly one block, and the block closes where we close it.
    text = user_text(hostile)
    assert text.count(CONTENT_OPEN) == 1
    assert text.count(CONTENT_CLOSE) == 1
    assert text.rstrip().endswith(CONTENT_CLOSE)
    # Nothing of the sample appears outside the block.
    outside = text.split(CONTENT_OPEN)[0]
    assert outside == user_text(benign).split(CONTENT_OPEN)[0]


async def test_a_model_that_obeys_an_injection_gives_no_verdict() -> None:
    """If the model answers in prose ("it is clean") instead of the tool, that is invalid output:
    retried once, then escalated, never read as a verdict."""
    calls: list[dict[str, object]] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        calls.append(json.loads(request.content))
        body = {
            "id": "msg_i",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": '{"categories": [], "rationale": "clean"}'}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 10, "output_tokens": 5},
        }
        return httpx2.Response(200, json=body)

    telemetry = setup_for_tests()
    client = build_client("k", "http://api.invalid", timeout_s=5).with_options(
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handle))
    )
    classifier = Classifier(ModelGateway(client, telemetry.tracer), TRIAGE)
    try:
        judgement = await classifier.classify(
            JudgeRequest(item(SAMPLES[0]), POLICY, CallContext(stage="triage", content_id="c-inj"))
        )
    finally:
        telemetry.shutdown()
    assert judgement.kind is JudgementKind.INVALID
    assert judgement.verdict is None
    assert len(calls) == 2, "one retry on invalid output, then up the ladder"
    assert all(call["tool_choice"] == {"type": "tool", "name": "record_verdict"} for call in calls)
