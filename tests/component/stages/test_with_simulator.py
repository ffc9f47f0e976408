"""Stage handlers against the simulated Anthropic API, through the official SDK (no Kafka)."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from opentelemetry.sdk.trace import TracerProvider

from moderation.llm.classify import Classifier
from moderation.llm.gateway import ModelGateway, build_client
from moderation.llm.judge import TierConfig
from moderation.policy import PolicyBook
from moderation.settings import TopicNames
from moderation.stages.finalize import FinalizeIntake, FinalizeStage, FinalizeStore
from moderation.stages.review import ReviewStage
from moderation.stages.triage import TriageStage
from moderation.streaming.records import Inbound, Outcome
from moderation_contracts import (
    HumanDecision,
    ModerationRequest,
    ReviewRequest,
    Tier,
    dump_payload,
    parse_payload,
)
from moderation_dev.simulator.config import SimConfig
from moderation_dev.simulator.testing import running_simulator

TOPICS = TopicNames()
POLICIES = PolicyBook.load(None)
TRACER = TracerProvider().get_tracer("test")


@pytest.fixture
async def sim_url() -> AsyncIterator[str]:
    async with running_simulator(SimConfig.instant(retry_after_s=0.05)) as sim:
        yield sim.base_url


def classifier(url: str, tier: Tier, model: str, retries: int = 0) -> Classifier:
    client = build_client("sk-test", url, timeout_s=5, max_retries=retries)
    return Classifier(ModelGateway(client, TRACER), TierConfig(tier, model, 400))


def inbound(topic: str, value: bytes, key: str = "c1", offset: int = 0) -> Inbound:
    return Inbound(topic=topic, partition=0, offset=offset, key=key.encode(), value=value)


def request(text: str, content_id: str = "c1") -> bytes:
    return dump_payload(
        ModerationRequest(
            content_id=content_id, tenant_id="acme", text=text, submitted_at=datetime.now(UTC)
        )
    )


def by_topic(outcome: Outcome) -> dict[str, dict[str, object]]:
    return {record.topic: json.loads(record.value) for record in outcome.outputs}


async def test_triage_allows_benign_text(sim_url: str) -> None:
    stage = TriageStage(classifier(sim_url, Tier.HAIKU, "claude-haiku-4-5"), POLICIES, TOPICS)
    outcome = await stage.handle(inbound(TOPICS.requests, request("Lovely weather today")))
    decision = by_topic(outcome)[TOPICS.decisions]
    assert (decision["status"], decision["decided_by"], decision["final"]) == (
        "allowed",
        "haiku",
        True,
    )
    assert decision["cost"]["total_usd"] > 0  # type: ignore[index]


async def test_triage_flags_go_to_review_with_a_pending_decision(sim_url: str) -> None:
    stage = TriageStage(classifier(sim_url, Tier.HAIKU, "claude-haiku-4-5"), POLICIES, TOPICS)
    text = "[[sim: haiku=flag:violence:high]] a threat"
    outcome = await stage.handle(inbound(TOPICS.requests, request(text)))
    outputs = by_topic(outcome)
    assert outputs[TOPICS.decisions]["status"] == "pending_review"
    review = parse_payload(ReviewRequest, json.dumps(outputs[TOPICS.review]))
    assert review.triage is not None
    assert review.triage.flagged
    assert "violence" in review.reason


async def test_triage_answers_a_resend_of_the_same_item_with_nothing_new(sim_url: str) -> None:
    stage = TriageStage(classifier(sim_url, Tier.HAIKU, "claude-haiku-4-5"), POLICIES, TOPICS)
    value = request("hello again")
    assert (await stage.handle(inbound(TOPICS.requests, value))).outputs
    again = await stage.handle(inbound(TOPICS.requests, value, offset=1))
    assert (again.outputs, again.route) == ((), "duplicate")


async def test_unavailable_triage_fails_closed_to_a_human_task(sim_url: str) -> None:
    stage = TriageStage(classifier(sim_url, Tier.HAIKU, "claude-haiku-4-5"), POLICIES, TOPICS)
    outcome = await stage.handle(inbound(TOPICS.requests, request("[[sim: haiku=status:529]] x")))
    outputs = by_topic(outcome)
    assert outputs[TOPICS.human_review]["escalation_reason"] == "tier_unavailable"
    assert outputs[TOPICS.decisions]["decided_by"] == "fallback"


async def test_invalid_model_output_is_retried_once_then_moves_up(sim_url: str) -> None:
    stage = TriageStage(classifier(sim_url, Tier.HAIKU, "claude-haiku-4-5"), POLICIES, TOPICS)
    once = await stage.handle(inbound(TOPICS.requests, request("[[sim: haiku=malformed_once]] a")))
    assert by_topic(once)[TOPICS.decisions]["status"] == "allowed"
    assert by_topic(once)[TOPICS.decisions]["cost"]["tiers"][0]["calls"] == 2  # type: ignore[index]
    always = await stage.handle(
        inbound(TOPICS.requests, request("[[sim: haiku=malformed]] b", "c2"), key="c2")
    )
    assert TOPICS.review in by_topic(always)


async def test_review_clears_an_overflag_and_records_the_overturn(sim_url: str) -> None:
    triage = TriageStage(classifier(sim_url, Tier.HAIKU, "claude-haiku-4-5"), POLICIES, TOPICS)
    review = ReviewStage(classifier(sim_url, Tier.SONNET, "claude-sonnet-4-6"), POLICIES, TOPICS)
    text = "[[sim: haiku=flag:harassment:medium; sonnet=allow]] you silly goose"
    first = await triage.handle(inbound(TOPICS.requests, request(text)))
    review_value = next(r.value for r in first.outputs if r.topic == TOPICS.review)
    second = await review.handle(inbound(TOPICS.review, review_value))
    decision = by_topic(second)[TOPICS.decisions]
    assert (decision["status"], decision["decided_by"], decision["overturned"]) == (
        "allowed",
        "sonnet",
        True,
    )
    tiers = {tier["tier"] for tier in decision["cost"]["tiers"]}  # type: ignore[index]
    assert tiers == {"haiku", "sonnet"}


async def test_finalize_turns_a_reviewer_decision_into_the_final_one(sim_url: str) -> None:
    triage = TriageStage(classifier(sim_url, Tier.HAIKU, "claude-haiku-4-5"), POLICIES, TOPICS)
    review = ReviewStage(classifier(sim_url, Tier.SONNET, "claude-sonnet-4-6"), POLICIES, TOPICS)
    rekey = FinalizeIntake(TOPICS)
    finalize = FinalizeStage(FinalizeStore(TOPICS), TOPICS)
    offsets = itertools.count()

    async def through_finalize(topic: str, value: bytes) -> Outcome:
        """human-review or human-decisions -> re-key -> the events topic -> decide."""
        (event,) = (await rekey.handle(inbound(topic, value, offset=next(offsets)))).outputs
        assert event.topic == TOPICS.finalize_events
        return await finalize.handle(
            inbound(event.topic, event.value, key=event.key.decode(), offset=next(offsets))
        )

    first = await triage.handle(inbound(TOPICS.requests, request("[[sim: all=flag:hate:high]] x")))
    review_value = next(r.value for r in first.outputs if r.topic == TOPICS.review)
    second = await review.handle(inbound(TOPICS.review, review_value))
    task_record = next(r for r in second.outputs if r.topic == TOPICS.human_review)
    opened = await through_finalize(TOPICS.human_review, task_record.value)
    assert (opened.route, set(by_topic(opened))) == ("task_open", {TOPICS.finalize_state})
    task = json.loads(task_record.value)
    answer = HumanDecision(
        content_id="c1",
        tenant_id="acme",
        task_id=task["task_id"],
        reviewer_id="r1",
        action="remove",  # type: ignore[arg-type]
        categories=[{"category": "hate", "severity": "high", "confidence": 1.0}],  # type: ignore[list-item]
    )
    final = await through_finalize(TOPICS.human_decisions, dump_payload(answer))
    decision = by_topic(final)[TOPICS.decisions]
    assert (decision["status"], decision["decided_by"], decision["final"]) == (
        "removed",
        "human",
        True,
    )
    assert decision["cost"] == task["cost"]
    repeat = await through_finalize(TOPICS.human_decisions, dump_payload(answer))
    assert (repeat.route, TOPICS.decisions in by_topic(repeat)) == ("duplicate", False)
    # An answer for an item whose task has not come (yet) waits for it instead of failing.
    stray = answer.model_copy(update={"content_id": "nope", "task_id": None})
    waiting = await through_finalize(TOPICS.human_decisions, dump_payload(stray))
    assert (waiting.route, set(by_topic(waiting))) == ("parked", {TOPICS.finalize_state})
