"""The appeal stage, step 2: appeals meet the final decisions they contest; humans re-decide.

Per item (state in an :class:`~moderation.stages.appeal_intake.AppealStore`, which survives
restarts and rebalances) the stage keeps the last final decision and the appeals of it. Every
appeal is answered on the appeal-outcomes topic, never silence:

| appeal                                            | answer                                    |
|---------------------------------------------------|-------------------------------------------|
| no restricting decision known, or not the one named | waits for it (below), then as here      |
| ... and none came within ``unknown_wait_s``         | rejected: unknown_item                  |
| the decision was overturned on an earlier appeal  | rejected: already_decided                 |
| the decision restricts nothing (allowed)          | rejected: not_restricted                  |
| after the policy's window (183 days by default)   | rejected: late                            |
| another appeal of the decision is open            | rejected: duplicate                       |
| an appeal of the decision was decided             | rejected: already_decided                 |
| otherwise                                         | received, and a task for the appeals queue |
| the same appeal again (a re-delivery)             | the answer it got, sent again             |
| for an item whose state was dropped (see below)   | rejected: unknown_item                    |

Decisions and appeals come on topics read independently, so an appeal may be read before the
decision it contests. It then waits in the item's state (``AppealState.waiting``, restored like
the rest) and is heard when a decision arrives, as if it had come after it; an allowed decision
of an item that restricted nothing is not kept, so it waits on, as it would if read after it.
After ``unknown_wait_s`` (:func:`sweep_waiting_forever`) it is answered ``unknown_item``.

A reviewer's answer (never the reviewer who made the original decision) closes the appeal:
upheld, or overturned, which publishes a new final decision that names the one it
``supersedes``. Every final decision that restricts content also gets its statement of reasons
(:mod:`moderation.statements.mapping`) when it passes through here.

State does not grow forever: :func:`sweep_forever` asks the owner of each item that
:func:`~moderation.stages.appeal_rules.forgettable` says may go (no open appeal, the appeal
window closed more than ``appeal.state_grace_days`` ago) to drop it, with an ``expire`` event on
the item's own partition, handled here in order with its other events. The sweep reads only the
states that are due: when each may go (:meth:`AppealStage.forget_after`) is kept beside it in
the state table, and worked out again when a longer window keeps an item that was due. A
dropped item is forgotten and tombstoned in the compacted state topic. An appeal for it later
is answered ``unknown_item``: nothing is left to tell how old its decision was.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta

from moderation.policy import Policy, PolicyLookup, UnknownTenant
from moderation.settings import TopicNames
from moderation.stages.appeal_intake import STAGE, AppealStore
from moderation.stages.appeal_rules import (
    answer_problem,
    bounded,
    forget_after,
    forgettable,
    may_wait,
    superseding,
    why_not_heard,
)
from moderation.stages.deadletters import dead_letter, invalid_input
from moderation.stages.outputs import Clock, output, utc_clock
from moderation.statements.mapping import restricts, statement_for
from moderation.streaming.keyed_state import sweep_forever as keyed_sweep_forever
from moderation.streaming.keyed_state import sweep_interval_s
from moderation.streaming.records import Inbound, Outbound, Outcome
from moderation.streaming.runner import Sender
from moderation_contracts import (
    Appeal,
    AppealDecision,
    AppealEvent,
    AppealEventKind,
    AppealOutcome,
    AppealRecord,
    AppealRejection,
    AppealState,
    AppealStatus,
    AppealTask,
    AppealVerdict,
    ContractError,
    Decision,
    Source,
    WaitingAppeal,
    parse_payload,
)
from moderation_contracts.appeal_internal import MAX_APPEALS_PER_ITEM


def appeal_task_id(appeal: Appeal) -> str:
    return f"appeal-{appeal.appeal_id}"


@dataclass
class AppealStage:
    """Step 2: one state per item; decisions, appeals and answers meet here, in order."""

    store: AppealStore
    policies: PolicyLookup
    topics: TopicNames
    clock: Clock = utc_clock
    deadline_hours: float = 72.0
    state_grace_days: float = 7.0
    unknown_wait_s: float = 300.0
    """How long an appeal read before any decision it could contest waits for one."""

    async def handle(self, inbound: Inbound) -> Outcome:
        try:
            event = parse_payload(AppealEvent, inbound.value or b"")
        except ContractError as error:
            return invalid_input(inbound, self.topics, STAGE, error)
        state = self.store.get(inbound.partition, event.content_id) or AppealState(
            content_id=event.content_id
        )
        outputs: list[Outbound] = []
        tenant: str | None
        if event.kind is AppealEventKind.DECISION:
            assert event.decision is not None
            route = self._on_decision(event.decision, state, outputs, inbound)
            tenant = event.decision.tenant_id
        elif event.kind is AppealEventKind.APPEAL:
            assert event.appeal is not None
            route = self._on_appeal(event.appeal, event.received_at, state, outputs, inbound)
            tenant = event.appeal.tenant_id
        elif event.kind is AppealEventKind.ANSWER:
            assert event.answer is not None
            route = self._on_answer(event.answer, event.source, state, outputs, inbound)
            tenant = event.answer.tenant_id
        else:
            route = self._on_expire(event.content_id, outputs, inbound)
            tenant = state.decision.tenant_id if state.decision else None
        return Outcome(tuple(outputs), route, event.content_id, tenant)

    def __post_init__(self) -> None:
        self.store.forget_after = self.forget_after  # kept beside each state: read when due

    def forget_after(self, state: AppealState) -> datetime | None:
        """When the item's state may be dropped (the tenant's appeal window, as the policy
        says now), or None while an appeal of it is open or waiting."""
        return forget_after(state, *self._retention(state))

    def forgettable(self, state: AppealState, now: datetime) -> bool:
        """Whether the item's state may be dropped now."""
        return forgettable(state, now, *self._retention(state))

    def _retention(self, state: AppealState) -> tuple[int, timedelta]:
        window = self._policy(state.decision.tenant_id).appeal_window_days if state.decision else 0
        return window, timedelta(days=self.state_grace_days)

    def _on_expire(self, content_id: str, outputs: list[Outbound], inbound: Inbound) -> str:
        """The sweep's request: checked again against the state as it is now (an appeal may
        have been opened since the sweep looked)."""
        state = self.store.get(inbound.partition, content_id)
        if state is None:
            return "expire_nothing"  # dropped already (a repeated request)
        now = self.clock()
        cutoff = now - timedelta(seconds=self.unknown_wait_s)
        if any(parked.parked_at <= cutoff for parked in state.waiting):
            state = self._hear_waiting(state, outputs, expired_before=cutoff)
            outputs.append(self.store.put(inbound.partition, state))
            return "waited_out"
        if not self.forgettable(state, now):
            # Not due after all (the tenant's window grew since): when it is, as of now.
            self.store.reindex(inbound.partition, state)
            return "expire_kept"
        outputs.append(self.store.drop(inbound.partition, content_id))
        return "expired"

    def _policy(self, tenant_id: str) -> Policy:
        try:
            return self.policies.for_tenant(tenant_id)
        except UnknownTenant:
            return self.policies.default

    # -- final decisions -----------------------------------------------------------------------

    def _on_decision(
        self, made: Decision, state: AppealState, outputs: list[Outbound], inbound: Inbound
    ) -> str:
        statement = statement_for(made, self._policy(made.tenant_id))
        if statement is not None:  # re-sent on a re-delivery: consumers dedupe on its puid
            outputs.append(output(self.topics.statements, statement, made.content_id, "statement"))
        current = state.decision
        if current is None and not restricts(made):
            # Most items are allowed and never restricted: they are not kept (an appeal of one
            # is answered unknown_item). Memory holds restricted items and what followed them.
            # Appeals waiting here wait on: read after this decision they would wait too.
            return "decision_not_kept"
        if (
            current is not None
            and made.decision_id is not None
            and made.decision_id in (current.decision_id, current.supersedes)
        ):
            return "decision_known"  # our own overturn coming back, or a re-read
        state = state.model_copy(update={"decision": made, "updated_at": self.clock()})
        if state.waiting:  # appeals that came first
            state = self._hear_waiting(state, outputs)
        outputs.append(self.store.put(inbound.partition, state))
        return "decision_statement" if statement is not None else "decision"

    # -- appeals ------------------------------------------------------------------------------

    def _on_appeal(
        self,
        appeal: Appeal,
        received_at: datetime,
        state: AppealState,
        outputs: list[Outbound],
        inbound: Inbound,
    ) -> str:
        known = next((r for r in state.appeals if r.appeal_id == appeal.appeal_id), None)
        if known is not None:  # a re-delivery: the same answers again (consumers dedupe)
            if known.task is not None:
                outputs.append(self._task_record(known.task))
            outputs.append(self._outcome_record(known.answer))
            return "appeal_redelivered"
        if any(w.appeal.appeal_id == appeal.appeal_id for w in state.waiting):
            return "appeal_still_waiting"  # a re-delivery: answered when its decision comes
        problem = why_not_heard(appeal, received_at, state, self._window(appeal))
        if may_wait(problem):
            route, state = self._park(appeal, received_at, state, outputs)
        else:
            route, state = self._answer(appeal, state, problem, outputs)
        outputs.append(self.store.put(inbound.partition, state))
        return route

    def _park(
        self, appeal: Appeal, received_at: datetime, state: AppealState, outputs: list[Outbound]
    ) -> tuple[str, AppealState]:
        """Keep an appeal that names no known decision until one comes (the decisions topic
        is read apart from the appeals topic, so it may be behind), at most ``unknown_wait_s``
        (:meth:`_on_expire`). Beyond the contract's bound the oldest is answered at once."""
        now = self.clock()
        waiting = [
            *state.waiting,
            WaitingAppeal(appeal=appeal, received_at=received_at, parked_at=now),
        ]
        state = state.model_copy(update={"updated_at": now})
        while len(waiting) > MAX_APPEALS_PER_ITEM:
            oldest = waiting.pop(0)
            problem = why_not_heard(
                oldest.appeal, oldest.received_at, state, self._window(oldest.appeal)
            )
            _, state = self._answer(oldest.appeal, state, problem, outputs)
        return "appeal_waiting", state.model_copy(update={"waiting": waiting})

    def _hear_waiting(
        self, state: AppealState, outputs: list[Outbound], expired_before: datetime | None = None
    ) -> AppealState:
        """Answer the waiting appeals that can be heard now, in the order they came, and
        those parked before ``expired_before`` whatever the answer; the rest wait on."""
        waiting = []
        for parked in state.waiting:
            problem = why_not_heard(
                parked.appeal, parked.received_at, state, self._window(parked.appeal)
            )
            if may_wait(problem) and (expired_before is None or parked.parked_at > expired_before):
                waiting.append(parked)
            else:
                _, state = self._answer(parked.appeal, state, problem, outputs)
        return state.model_copy(update={"waiting": waiting})

    def _window(self, appeal: Appeal) -> int:
        return self._policy(appeal.tenant_id).appeal_window_days

    def _answer(
        self,
        appeal: Appeal,
        state: AppealState,
        problem: tuple[AppealRejection, str] | None,
        outputs: list[Outbound],
    ) -> tuple[str, AppealState]:
        """Answer the appeal: rejected for ``problem``, else received with a task for the
        appeals queue. Returns the route and the state that remembers the answer."""
        now = self.clock()
        decision = state.decision
        if decision is not None and decision.tenant_id != appeal.tenant_id:
            decision = None  # another tenant's item: nothing of it goes into the answer
        contested = appeal.decision_id or (decision.decision_id if decision else None)
        if problem is not None:
            rejection, why = problem
            answer = self._outcome(
                appeal,
                AppealStatus.REJECTED,
                why,
                contested=contested,
                rejection=rejection,
                decided_at=now,
            )
            record = AppealRecord(
                appeal_id=appeal.appeal_id,
                decision_id=decision.decision_id if decision else None,
                answer=answer,
            )
            route = f"rejected:{rejection}"
        else:
            assert decision is not None
            task = AppealTask(
                task_id=appeal_task_id(appeal),
                appeal=appeal,
                original=decision,
                excluded_reviewers=[decision.reviewer_id] if decision.reviewer_id else [],
                review_deadline=now + timedelta(hours=self.deadline_hours),
                created_at=now,
            )
            answer = self._outcome(
                appeal,
                AppealStatus.RECEIVED,
                "Your appeal was received; a person will review the decision.",
                contested=contested,
                decided_at=now,
            )
            record = AppealRecord(
                appeal_id=appeal.appeal_id,
                decision_id=decision.decision_id,
                task=task,
                answer=answer,
            )
            outputs.append(self._task_record(task))
            route = "appeal_received"
        outputs.append(self._outcome_record(answer))
        appeals = bounded([*state.appeals, record])
        return route, state.model_copy(update={"appeals": appeals, "updated_at": now})

    # -- reviewers' answers ---------------------------------------------------------------------

    def _on_answer(
        self,
        answer: AppealDecision,
        source: Source | None,
        state: AppealState,
        outputs: list[Outbound],
        inbound: Inbound,
    ) -> str:
        index = next(
            (i for i, r in enumerate(state.appeals) if r.appeal_id == answer.appeal_id), None
        )
        record = state.appeals[index] if index is not None else None
        if (
            record is not None
            and record.task is None
            and record.answer.status.value == str(answer.outcome)
        ):
            return "answer_duplicate"  # this answer was applied: a re-delivery
        problem = answer_problem(answer, record)
        if problem is not None:
            code, message = problem
            outputs.append(self._letter(answer, source, inbound, code, message))
            return f"deadletter:{code}"
        assert record is not None
        assert record.task is not None
        task = record.task
        now = self.clock()
        new_decision: Decision | None = None
        if answer.outcome is AppealVerdict.OVERTURNED:
            new_decision = superseding(task.original, answer, now)
            outputs.append(
                output(
                    self.topics.decisions,
                    new_decision,
                    answer.content_id,
                    "appeal_overturned",
                    new_decision.status,
                )
            )
        status = AppealStatus(str(answer.outcome))
        outcome = self._outcome(
            task.appeal,
            status,
            answer.reason,
            contested=task.original.decision_id,
            decided_at=now,
            reviewer_id=answer.reviewer_id,
            new_decision_id=new_decision.decision_id if new_decision else None,
        )
        outputs.append(self._outcome_record(outcome))
        appeals = list(state.appeals)
        appeals[index if index is not None else -1] = record.model_copy(
            update={"task": None, "answer": outcome}
        )
        update: dict[str, object] = {"appeals": appeals, "updated_at": now}
        if new_decision is not None:
            update["decision"] = new_decision
        outputs.append(self.store.put(inbound.partition, state.model_copy(update=update)))
        return f"appeal_{status}"

    # -- records ------------------------------------------------------------------------------

    def _outcome(
        self,
        appeal: Appeal,
        status: AppealStatus,
        reason: str,
        *,
        contested: str | None,
        decided_at: datetime,
        rejection: AppealRejection | None = None,
        reviewer_id: str | None = None,
        new_decision_id: str | None = None,
    ) -> AppealOutcome:
        return AppealOutcome(
            appeal_id=appeal.appeal_id,
            content_id=appeal.content_id,
            tenant_id=appeal.tenant_id,
            appellant_id=appeal.appellant_id,
            status=status,
            rejection=rejection,
            reason=reason,
            decision_id=contested,
            new_decision_id=new_decision_id,
            reviewer_id=reviewer_id,
            submitted_at=appeal.submitted_at,
            decided_at=decided_at,
        )

    def _task_record(self, task: AppealTask) -> Outbound:
        return output(self.topics.appeal_tasks, task, task.content_id, "appeal_task")

    def _outcome_record(self, outcome: AppealOutcome) -> Outbound:
        return output(
            self.topics.appeal_outcomes, outcome, outcome.content_id, "outcome", outcome.status
        )

    def _letter(
        self,
        answer: AppealDecision,
        source: Source | None,
        inbound: Inbound,
        code: str,
        message: str,
    ) -> Outbound:
        """A dead letter with what the reviewer tool sent (the original bytes)."""
        key, value = answer.content_id.encode(), inbound.value or b""
        if source is not None and source.value_b64 is not None:
            value = base64.b64decode(source.value_b64)
            key = base64.b64decode(source.key_b64) if source.key_b64 else key
        original = Inbound(
            topic=source.topic if source else inbound.topic,
            partition=source.partition if source else inbound.partition,
            offset=source.offset if source else inbound.offset,
            key=key,
            value=value,
        )
        return dead_letter(original, self.topics, STAGE, code, message)


async def sweep_forever(stage: AppealStage, sender: Sender, interval_s: float) -> None:
    """Every ``interval_s``, ask the owners of items whose state may go to drop it."""

    async def sweep(now: datetime) -> int:
        def due(state: AppealState) -> bool:
            return stage.forgettable(state, now)

        return await stage.store.sweep(sender, now, due, timedelta(seconds=interval_s))

    await keyed_sweep_forever(STAGE, sweep, interval_s, stage.clock)


async def sweep_waiting_forever(stage: AppealStage, sender: Sender) -> None:
    """Every few seconds (a quarter of the wait, at most a minute), ask the owners of items
    whose appeals waited ``unknown_wait_s`` for their decision to answer them."""
    max_age = timedelta(seconds=stage.unknown_wait_s)

    async def sweep(now: datetime) -> int:
        return await stage.store.sweep_waiting(sender, now, max_age)

    await keyed_sweep_forever(STAGE, sweep, sweep_interval_s(stage.unknown_wait_s), stage.clock)
