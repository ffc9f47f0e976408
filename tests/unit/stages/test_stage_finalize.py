"""Finalize: reviewer escalation (priority up, deadline never later, generation stored with the
task) and the policy on human final decisions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from moderation.settings import TopicNames
from moderation.stages.finalize import FinalizeStage, TaskState
from moderation.streaming.records import Inbound
from moderation_contracts import (
    HumanAction,
    HumanDecision,
    HumanReviewTask,
    Priority,
    dump_payload,
)
from moderation_contracts import examples as ex

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
TOPICS = TopicNames()


def stage(store: dict[str, Any], deadline_hours: float = 24.0) -> FinalizeStage:
    return FinalizeStage(store, TOPICS, clock=lambda: NOW, deadline_hours=deadline_hours)


def open_task(store: dict[str, Any], **changes: Any) -> HumanReviewTask:
    task = ex.human_review_task().model_copy(update=changes)
    store[task.request.content_id] = TaskState(task).to_json()
    return task


def answer(task: HumanReviewTask, action: HumanAction) -> Inbound:
    human = HumanDecision(
        content_id=task.request.content_id,
        tenant_id=task.request.tenant_id,
        task_id=task.task_id,
        reviewer_id="rev-1",
        action=action,
    )
    key = task.request.content_id.encode()
    return Inbound("human-decisions", 0, 0, key, dump_payload(human))


async def escalate(store: dict[str, Any], task: HumanReviewTask, hours: float = 24.0) -> Any:
    outcome = await stage(store, hours).handle_decision(answer(task, HumanAction.ESCALATE))
    assert outcome.route == "escalated"
    return json.loads(outcome.outputs[0].value)


async def test_escalation_raises_priority_and_never_lengthens_the_deadline() -> None:
    store: dict[str, Any] = {}
    soon = NOW + timedelta(hours=1)
    task = open_task(store, priority=Priority.NORMAL, review_deadline=soon)
    escalated = await escalate(store, task)
    assert escalated["priority"] == "high"
    assert datetime.fromisoformat(escalated["review_deadline"]) == soon
    # A far deadline is brought forward to a quarter of the usual one.
    store.clear()
    far = open_task(store, priority=Priority.LOW, review_deadline=NOW + timedelta(hours=48))
    brought_forward = await escalate(store, far, hours=24.0)
    assert brought_forward["priority"] == "normal"
    assert datetime.fromisoformat(brought_forward["review_deadline"]) == NOW + timedelta(hours=6)


async def test_the_escalation_generation_is_stored_with_the_task_not_parsed_from_its_id() -> None:
    store: dict[str, Any] = {}
    # An id that happens to contain "-e" (hex digests often do) must not count as a generation.
    task = open_task(store, task_id="task-e0e1-ee-e2")
    first = await escalate(store, task)
    assert first["generation"] == 1
    assert first["task_id"].endswith("-e1")
    second = await escalate(store, HumanReviewTask.model_validate(first))
    assert second["generation"] == 2
    assert second["task_id"].endswith("-e2")


async def test_a_human_final_decision_carries_the_policy_even_without_any_verdict() -> None:
    store: dict[str, Any] = {}
    task = open_task(
        store, triage=None, review=None, policy_id="default", policy_version="2026.11:acme.3"
    )
    outcome = await stage(store).handle_decision(answer(task, HumanAction.ALLOW))
    decision = json.loads(outcome.outputs[0].value)
    assert (decision["policy_id"], decision["policy_version"]) == ("default", "2026.11:acme.3")
    assert decision["decided_by"] == "human"
