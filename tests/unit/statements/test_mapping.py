"""Every row of the routing table, driven through the real stages to its final decision, and
the statement of reasons that decision gets (or not: only restrictions get one)."""

from __future__ import annotations

import json
from typing import cast

import pytest

from moderation.llm.judge import Judge, Judgement, JudgementKind
from moderation.policy import FailMode, Policy, PolicyBook
from moderation.policy.models import DecisionFacts
from moderation.settings import TopicNames
from moderation.stages.finalize import FinalizeStage, FinalizeStore
from moderation.stages.review import ReviewStage
from moderation.stages.triage import TriageStage
from moderation.statements.mapping import statement_for
from moderation_contracts import (
    AutomatedDecision,
    CategoryScore,
    Decision,
    DecisionGround,
    HumanAction,
    HumanDecision,
    HumanReviewTask,
    Severity,
    StatementCategory,
    StatementContentType,
)
from moderation_contracts import examples as ex

TOPICS = TopicNames()
BOOK = PolicyBook.from_mapping({})
THREAT = [CategoryScore(category="harassment/threatening", severity=Severity.HIGH, confidence=0.95)]


def policy(**changes: object) -> Policy:
    return BOOK.default.model_copy(update=changes)


def removing_policy() -> Policy:
    """Sonnet may remove threats on its own."""
    base = BOOK.default
    rule = base.categories["harassment/threatening"].model_copy(
        update={"auto_remove_at": Severity.HIGH}
    )
    return base.model_copy(
        update={
            "sonnet_may_remove": True,
            "categories": {**base.categories, "harassment/threatening": rule},
        }
    )


def judged(tier: str, categories: list[CategoryScore]) -> Judgement:
    verdict = (ex.triage_verdict() if tier == "haiku" else ex.review_verdict()).model_copy(
        update={"categories": categories, "flagged": bool(categories)}
    )
    cost = ex.triage_cost() if tier == "haiku" else ex.review_cost()
    return Judgement(JudgementKind.JUDGED, (cost,), verdict)


UNAVAILABLE, REFUSED = JudgementKind.UNAVAILABLE, JudgementKind.REFUSED
INVALID, REJECTED = JudgementKind.INVALID, JudgementKind.REJECTED


def failed(kind: JudgementKind) -> Judgement:
    return Judgement(kind, (), None, detail=str(kind))


def triage(judgement: Judgement, used: Policy) -> list[dict[str, object]]:
    stage = TriageStage(cast(Judge, None), BOOK, TOPICS)
    return [
        {"topic": r.topic, **json.loads(r.value)}
        for r in stage.route(ex.request(), used, judgement)
    ]


def review(judgement: Judgement, used: Policy) -> list[dict[str, object]]:
    stage = ReviewStage(cast(Judge, None), BOOK, TOPICS)
    return [
        {"topic": r.topic, **json.loads(r.value)}
        for r in stage.route(ex.review_request(), used, judgement)
    ]


def final_of(records: list[dict[str, object]], action: HumanAction) -> Decision | None:
    """The item's final decision: the stage's own, or a reviewer's for a human-review task."""
    for record in records:
        if record["topic"] == TOPICS.decisions and record["final"]:
            return Decision.model_validate({k: v for k, v in record.items() if k != "topic"})
    for record in records:
        if record["topic"] == TOPICS.human_review:
            task = HumanReviewTask.model_validate({k: v for k, v in record.items() if k != "topic"})
            human = HumanDecision(
                content_id=task.content_id,
                tenant_id=task.request.tenant_id,
                task_id=task.task_id,
                reviewer_id="rev-1",
                action=action,
                categories=THREAT if action is HumanAction.REMOVE else [],
            )
            return FinalizeStage(FinalizeStore(TOPICS), TOPICS)._final(human, task)
    return None


CLOSED, OPEN = policy(fail_mode=FailMode.CLOSED), policy(fail_mode=FailMode.OPEN)

ROWS = [
    # (row of the routing table, outputs, reviewer's action) -> expected automated_decision
    ("triage judged clean -> allow", triage(judged("haiku", []), CLOSED), None),
    ("triage flagged -> review", triage(judged("haiku", THREAT), CLOSED), None),
    ("triage refused -> review", triage(failed(JudgementKind.REFUSED), CLOSED), None),
    ("triage invalid -> review", triage(failed(JudgementKind.INVALID), CLOSED), None),
    ("triage rejected by api -> review", triage(failed(JudgementKind.REJECTED), CLOSED), None),
    (
        "triage unavailable, fails open -> allow",
        triage(failed(JudgementKind.UNAVAILABLE), OPEN),
        None,
    ),
    ("review cleared -> allow", review(judged("sonnet", []), CLOSED), None),
    (
        "review unavailable, fails open -> allow",
        review(failed(JudgementKind.UNAVAILABLE), OPEN),
        None,
    ),
]
"""Rows whose final decision restricts nothing: no statement."""

UNSURE = [THREAT[0].model_copy(update={"severity": Severity.LOW, "confidence": 0.4})]
PARTLY, NOT = AutomatedDecision.PARTIALLY, AutomatedDecision.NOT_AUTOMATED
HUMAN_ROWS = [
    ("triage unavailable, closed -> human", triage(failed(UNAVAILABLE), CLOSED), NOT, "No"),
    ("review confirmed -> human", review(judged("sonnet", THREAT), CLOSED), PARTLY, "Yes"),
    ("review unsure -> human", review(judged("sonnet", UNSURE), CLOSED), PARTLY, "Yes"),
    ("review refused -> human", review(failed(REFUSED), CLOSED), PARTLY, "Yes"),
    ("review invalid -> human", review(failed(INVALID), CLOSED), PARTLY, "Yes"),
    ("review rejected by api -> human", review(failed(REJECTED), CLOSED), PARTLY, "Yes"),
    ("review unavailable, closed -> human", review(failed(UNAVAILABLE), CLOSED), PARTLY, "Yes"),
]  # fmt: skip
"""Rows that end with a reviewer: removing gets a statement, allowing does not."""


@pytest.mark.parametrize(("row", "records", "_"), ROWS, ids=[r[0] for r in ROWS])
def test_a_route_that_restricts_nothing_has_no_statement(
    row: str, records: list[dict[str, object]], _: None
) -> None:
    final = final_of(records, HumanAction.REMOVE)
    assert final is None or final.status != "removed", row
    assert final is None or statement_for(final, BOOK.default) is None


def test_sonnet_removing_alone_is_fully_automated() -> None:
    final = final_of(review(judged("sonnet", THREAT), removing_policy()), HumanAction.REMOVE)
    assert final is not None
    assert (final.status, final.decided_by) == ("removed", "sonnet")
    statement = statement_for(final, BOOK.default)
    assert statement is not None
    assert statement.automated_decision is AutomatedDecision.FULLY
    assert statement.automated_detection == "Yes"
    assert statement.category is StatementCategory.CYBER_VIOLENCE
    assert statement.puid == final.decision_id
    assert ex.request().text  # text with an image
    assert ex.request().attachments
    assert statement.content_type == [StatementContentType.TEXT, StatementContentType.IMAGE]
    assert statement.decision_ground is DecisionGround.INCOMPATIBLE_CONTENT


@pytest.mark.parametrize(
    ("row", "records", "automated", "detected"), HUMAN_ROWS, ids=[r[0] for r in HUMAN_ROWS]
)
def test_a_reviewer_decision_gets_a_statement_only_when_it_removes(
    row: str, records: list[dict[str, object]], automated: AutomatedDecision, detected: str
) -> None:
    allowed = final_of(records, HumanAction.ALLOW)
    assert allowed is not None
    assert statement_for(allowed, BOOK.default) is None
    removed = final_of(records, HumanAction.REMOVE)
    assert removed is not None
    assert (removed.status, removed.decided_by, removed.reviewer_id) == (
        "removed",
        "human",
        "rev-1",
    )
    statement = statement_for(removed, BOOK.default)
    assert statement is not None, row
    assert statement.automated_decision is automated
    assert statement.automated_detection == detected
    assert statement.application_date == removed.decided_at.date().isoformat()
    assert statement.content_date == ex.request().submitted_at.date().isoformat()


def test_the_policy_maps_a_category_to_the_illegal_ground_and_another_statement_category() -> None:
    rules = BOOK.default.statements.model_copy(
        update={
            "illegal": {"harassment/threatening": "Criminal Code s. 241 (threats)"},
            "categories": {"harassment/threatening": StatementCategory.VIOLENCE},
        }
    )
    used = BOOK.default.model_copy(update={"statements": rules})
    final = final_of(review(judged("sonnet", THREAT), removing_policy()), HumanAction.REMOVE)
    assert final is not None
    statement = statement_for(final, used)
    assert statement is not None
    assert statement.decision_ground is DecisionGround.ILLEGAL_CONTENT
    assert statement.illegal_content_legal_ground == "Criminal Code s. 241 (threats)"
    assert statement.category is StatementCategory.VIOLENCE


def test_decision_facts_leave_the_rationale_out_when_the_tenant_says_so() -> None:
    final = final_of(review(judged("sonnet", THREAT), removing_policy()), HumanAction.REMOVE)
    assert final is not None
    rules = BOOK.default.statements.model_copy(update={"decision_facts": DecisionFacts.CATEGORIES})
    quiet = statement_for(final, BOOK.default.model_copy(update={"statements": rules}))
    loud = statement_for(final, BOOK.default)
    assert quiet is not None
    assert loud is not None
    assert final.rationale
    assert final.rationale in loud.decision_facts
    assert final.rationale not in quiet.decision_facts
