"""The model stages' decisions: the effective policy on rejected input, cached verdicts named."""

from __future__ import annotations

import json
from typing import cast

import pytest

from moderation.cache import reused
from moderation.llm.judge import Judge, Judgement, JudgementKind
from moderation.policy import PolicyBook
from moderation.settings import TopicNames
from moderation.stages.review import ReviewStage
from moderation.stages.triage import TriageStage
from moderation.streaming.records import Inbound
from moderation_contracts import CostBreakdown
from moderation_contracts import examples as ex

BOOK = PolicyBook.from_mapping(
    {"tenants": {"acme": {"version": "7"}}, "require_known_tenants": True}
)


@pytest.mark.parametrize(("tenant", "version"), [("acme", ":acme.7"), ("stranger", "")])
async def test_a_rejected_request_names_the_tenants_effective_policy(
    tenant: str, version: str
) -> None:
    stage = TriageStage(cast(Judge, None), BOOK, TopicNames())  # no model is asked
    raw = json.dumps({"content_id": "c-1", "tenant_id": tenant}).encode()
    outcome = await stage.handle(Inbound("requests", 0, 5, b"c-1", raw))
    decision = json.loads(outcome.outputs[1].value)
    assert decision["status"] == "rejected"
    assert decision["policy_id"] == BOOK.default.policy_id
    assert decision["policy_version"] == BOOK.default.version + version


def test_a_decision_from_the_verdict_cache_names_the_model_and_says_so() -> None:
    verdict = ex.triage_verdict().model_copy(update={"categories": [], "flagged": False})
    stage = TriageStage(cast(Judge, None), BOOK, TopicNames())
    (record,) = stage.route(ex.request(), BOOK.default, reused(verdict))
    decision = json.loads(record.value)
    assert decision["status"] == "allowed"
    assert decision["models"] == [verdict.model]
    assert decision["from_cache"] is True
    assert decision["cost"]["total_usd"] == 0
    (fresh,) = stage.route(
        ex.request(), BOOK.default, Judgement(JudgementKind.JUDGED, (ex.triage_cost(),), verdict)
    )
    assert json.loads(fresh.value)["from_cache"] is False


def test_a_review_decision_lists_cached_and_called_models_in_ladder_order() -> None:
    triage = ex.triage_verdict().model_copy(update={"from_cache": True})
    review = ex.review_request().model_copy(update={"triage": triage, "cost": CostBreakdown()})
    cleared = ex.review_verdict().model_copy(update={"categories": []})
    called = Judgement(JudgementKind.JUDGED, (ex.review_cost(),), cleared, model=cleared.model)
    stage = ReviewStage(cast(Judge, None), BOOK, TopicNames())
    (record,) = stage.route(review, BOOK.default, called)
    decision = json.loads(record.value)
    assert decision["models"] == [triage.model, cleared.model]
    assert decision["from_cache"] is True
