"""Stage 3, finalize: reviewers' decisions become final decisions (decided_by human).

Finalize keeps a store of open human-review tasks, fed from the human-review topic (keyed by
content_id, like the human-decisions topic, so both land on the same partition and worker). A
human decision for an item with no open task is rejected to the dead-letter topic.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from moderation.routing import Route, Routing
from moderation.settings import TopicNames
from moderation.stages.common import (
    Clock,
    dead_letter,
    decision,
    invalid_input,
    models_used,
    output,
    review_deadline,
    task_id_for,
    utc_clock,
)
from moderation.streaming.records import Inbound, Outcome
from moderation_contracts import (
    ContractError,
    Decision,
    DecisionStatus,
    EscalationReason,
    HumanAction,
    HumanDecision,
    HumanReviewTask,
    Priority,
    Tier,
    parse_payload,
)

STAGE = "finalize"

_ESCALATED_PRIORITY = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.CRITICAL,
    Priority.CRITICAL: Priority.CRITICAL,
}


@dataclass(frozen=True)
class TaskState:
    """What finalize remembers per content_id: the latest task and whether it was decided."""

    task: HumanReviewTask
    decided: str | None = None
    traceparent: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task.model_dump(mode="json"),
            "decided": self.decided,
            "traceparent": self.traceparent,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskState:
        return cls(
            HumanReviewTask.model_validate(data["task"]),
            data.get("decided"),
            data.get("traceparent"),
        )


TaskStore = MutableMapping[str, Any]
"""content_id -> TaskState JSON; a faust Table in the worker, a dict in tests."""


@dataclass
class FinalizeStage:
    store: TaskStore
    topics: TopicNames
    clock: Clock = utc_clock
    deadline_hours: float = 24.0
    task_wait_s: float = 5.0

    async def handle_task(self, inbound: Inbound) -> Outcome:
        """Remember an open task (from the human-review topic)."""
        try:
            task = parse_payload(HumanReviewTask, inbound.value or b"")
        except ContractError as error:
            return invalid_input(inbound, self.topics, STAGE, error)
        request = task.request
        known = self._state(request.content_id)
        if known is not None and known.decided and known.task.task_id == task.task_id:
            # A re-delivered copy of a task that was already decided: keep the decision.
            return Outcome((), "task_duplicate", request.content_id, request.tenant_id)
        traceparent = next(
            (v.decode(errors="replace") for k, v in inbound.headers if k == "traceparent" and v),
            None,
        )
        self.store[request.content_id] = TaskState(task, traceparent=traceparent).to_json()
        return Outcome((), "task_open", request.content_id, request.tenant_id)

    async def trace_parent(self, inbound: Inbound) -> tuple[tuple[str, bytes], ...]:
        """A human decision without ``traceparent`` continues the trace of its task (which may
        still be on its way: the same bounded wait as the decision itself)."""
        state = await self._open_task(inbound.key.decode(errors="replace")) if inbound.key else None
        if state is None or state.traceparent is None:
            return ()
        return (("traceparent", state.traceparent.encode()),)

    async def handle_decision(self, inbound: Inbound) -> Outcome:
        """Turn a reviewer's decision into the final decision (from human-decisions)."""
        try:
            human = parse_payload(HumanDecision, inbound.value or b"")
        except ContractError as error:
            return invalid_input(inbound, self.topics, STAGE, error)
        state = await self._open_task(human.content_id)
        problem = self._mismatch(human, state)
        if problem is not None:
            code, message = problem
            letter = dead_letter(inbound, self.topics, STAGE, code, message)
            return Outcome((letter,), letter.route, human.content_id, human.tenant_id)
        assert state is not None
        if state.decided is not None:
            return Outcome((), "duplicate", human.content_id, human.tenant_id)
        if human.action is HumanAction.ESCALATE:
            return self._escalate(human, state)
        made = self._final(human, state)
        self.store[human.content_id] = TaskState(
            state.task, str(human.action), state.traceparent
        ).to_json()
        return Outcome(
            (output(self.topics.decisions, made, human.content_id, "human", made.status),),
            "human",
            human.content_id,
            human.tenant_id,
        )

    async def _open_task(self, content_id: str) -> TaskState | None:
        """The item's task; a reviewer's answer can overtake the task's own registration (the
        two topics are read independently), so an unknown task is awaited for a short while."""
        deadline = asyncio.get_running_loop().time() + self.task_wait_s
        while (state := self._state(content_id)) is None:
            if asyncio.get_running_loop().time() >= deadline:
                return None
            await asyncio.sleep(0.1)
        return state

    def _state(self, content_id: str) -> TaskState | None:
        raw = self.store.get(content_id)
        if raw is None:
            return None
        return TaskState.from_json(raw if isinstance(raw, dict) else json.loads(raw))

    @staticmethod
    def _mismatch(human: HumanDecision, state: TaskState | None) -> tuple[str, str] | None:
        if state is None:
            return "no_open_task", f"no human-review task is open for content_id {human.content_id}"
        if state.task.request.tenant_id != human.tenant_id:
            return "tenant_mismatch", "the decision's tenant_id differs from the task's"
        answered = human.task_id
        if answered is not None and answered != state.task.task_id and state.decided is None:
            return "task_mismatch", (
                f"decision answers task {answered}, the open task is {state.task.task_id}"
            )
        return None

    def _final(self, human: HumanDecision, state: TaskState) -> Decision:
        task = state.task
        status = (
            DecisionStatus.REMOVED if human.action is HumanAction.REMOVE else DecisionStatus.ALLOWED
        )
        routing = Routing(
            Route.REMOVE if status is DecisionStatus.REMOVED else Route.ALLOW,
            Tier.HUMAN,
            f"decided by reviewer {human.reviewer_id}",
        )
        verdict = task.review or task.triage
        made = decision(
            task.request,
            status,
            routing,
            verdict=verdict,
            cost=task.cost,
            models=models_used(task.cost, task.triage, task.review),
            now=self.clock(),
            final=True,
            policy_id=task.policy_id or (verdict.policy_id if verdict else None),
            policy_version=task.policy_version or (verdict.policy_version if verdict else None),
            cached=(task.triage, task.review),
        )
        categories = human.categories or (
            made.categories if status is DecisionStatus.REMOVED else []
        )
        return made.model_copy(update={"categories": categories, "rationale": human.notes[:500]})

    def _escalate(self, human: HumanDecision, state: TaskState) -> Outcome:
        task = state.task
        generation = task.generation + 1  # stored with the task, never parsed from task_id
        now = self.clock()
        priority = _ESCALATED_PRIORITY[task.priority]
        # Escalation makes a task more urgent: it may shorten the deadline, never lengthen it.
        deadline = min(task.review_deadline, review_deadline(now, self.deadline_hours / 4))
        escalated = task.model_copy(
            update={
                "task_id": task_id_for(task.request.tenant_id, task.request.content_id, generation),
                "generation": generation,
                "escalation_reason": EscalationReason.POLICY_REQUIRES_HUMAN,
                "reason": f"escalated by reviewer {human.reviewer_id}"[:500],
                "priority": priority,
                "review_deadline": deadline,
                "created_at": now,
            }
        )
        self.store[human.content_id] = TaskState(escalated, traceparent=state.traceparent).to_json()
        record = output(self.topics.human_review, escalated, human.content_id, "escalated")
        return Outcome((record,), "escalated", human.content_id, human.tenant_id)
