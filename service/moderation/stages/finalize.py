"""Stage 3, finalize: reviewers' decisions become final decisions (decided_by human).

A final decision needs two events about one item to meet: the human-review task (written by
this service) and the reviewer's answer (written by any reviewer tool, with any Kafka client).
Their topics are partitioned by whoever produced them, and librdkafka's default partitioner
(CRC32) puts a key on a different partition than the Java client and aiokafka (murmur2), so the
two cannot be trusted to meet on one worker. And the two topics are read independently, so an
answer can arrive before its task.

So finalize runs in two steps, both in the finalize worker's consumer group:

1. **Re-key** (:class:`FinalizeIntake`, reads human-review and human-decisions): validate each
   record and re-publish it as a :class:`~moderation_contracts.FinalizeEvent` on one internal
   topic that only the service writes, keyed by content_id with the service's own partitioner.
   Every event about one item now lands on one partition, in the order the service saw them.
2. **Decide** (:class:`FinalizeStage`, reads that internal topic): per item, a state (the open
   task, whether it was decided, answers that came early). An answer without a task is parked
   in the state, not rejected; the task's arrival applies it. A parked answer is dead-lettered
   only when ``park_max_age_s`` passes (an ``expire`` event, sent by :meth:`FinalizeStore.sweep`,
   travels the same partition so it is ordered with the item's other events) or when the
   partition holds more than ``park_max_items`` parked answers (the oldest goes).

The state lives in a :class:`~moderation.streaming.keyed_state.KeyedStateStore`: in a local
table (SQLite's private temporary database) for the partitions this worker owns, written
through to a compacted internal topic and read back when a partition moves here.
Re-processing an event after a crash finds the state it already wrote: a decided task is not
decided twice.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from moderation.routing import Route, Routing
from moderation.settings import TopicNames
from moderation.stages.deadletters import dead_letter, invalid_input
from moderation.stages.outputs import (
    Clock,
    decision,
    models_used,
    output,
    review_deadline,
    task_id_for,
    utc_clock,
)
from moderation.streaming.keyed_state import KeyedStateStore, StateTable, sweep_interval_s
from moderation.streaming.keyed_state import sweep_forever as keyed_sweep_forever
from moderation.streaming.records import Headers, Inbound, Outbound, Outcome
from moderation.streaming.runner import Sender
from moderation_contracts import (
    ContractError,
    Decision,
    DecisionStatus,
    EscalationReason,
    FinalizeEvent,
    FinalizeEventKind,
    FinalizeState,
    HumanAction,
    HumanDecision,
    HumanReviewTask,
    ParkedDecision,
    Priority,
    Source,
    Tier,
    dump_payload,
    parse_payload,
)

STAGE = "finalize"
ORIGIN_TRACEPARENT = "moderation-origin-traceparent"
"""Header on finalize events: the traceparent the original record carried, if any."""
EVENT_KIND = "moderation-finalize-event"
"""Header on finalize events: task, decision or expire (read without parsing the payload)."""

MAX_PARKED_PER_ITEM = 64
"""At most this many early answers wait for one item (FinalizeState.parked's bound)."""

_log = logging.getLogger(__name__)

_ESCALATED_PRIORITY = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.CRITICAL,
    Priority.CRITICAL: Priority.CRITICAL,
}


def _generation(task: HumanReviewTask) -> int:
    """How many times reviewers escalated the item: stored with the task, never parsed from
    its id (a hex digest may contain ``-e``)."""
    return task.generation


def _traceparent(headers: Headers, name: str = "traceparent") -> str | None:
    return next((v.decode(errors="replace") for k, v in headers if k == name and v), None)


@dataclass
class FinalizeIntake:
    """Step 1: re-key tasks and reviewers' answers onto the internal finalize topic."""

    topics: TopicNames

    async def handle(self, inbound: Inbound) -> Outcome:
        source = Source(topic=inbound.topic, partition=inbound.partition, offset=inbound.offset)
        if inbound.topic == self.topics.human_decisions:  # kept whole for a later dead letter
            source = source.model_copy(
                update={
                    "key_b64": base64.b64encode(inbound.key).decode() if inbound.key else None,
                    "value_b64": base64.b64encode(inbound.value or b"").decode(),
                }
            )
        traceparent = _traceparent(inbound.headers)
        try:
            if inbound.topic == self.topics.human_review:
                task = parse_payload(HumanReviewTask, inbound.value or b"")
                content_id, tenant_id = task.request.content_id, task.request.tenant_id
                event = FinalizeEvent(
                    kind=FinalizeEventKind.TASK, content_id=content_id, task=task, source=source
                )
            else:
                human = parse_payload(HumanDecision, inbound.value or b"")
                content_id, tenant_id = human.content_id, human.tenant_id
                event = FinalizeEvent(
                    kind=FinalizeEventKind.DECISION,
                    content_id=content_id,
                    decision=human,
                    source=source,
                )
        except ContractError as error:
            return invalid_input(inbound, self.topics, STAGE, error)
        event = event.model_copy(update={"traceparent": traceparent})
        headers: Headers = ((EVENT_KIND, str(event.kind).encode()),)
        if traceparent:
            headers = (*headers, (ORIGIN_TRACEPARENT, traceparent.encode()))
        record = Outbound(
            topic=self.topics.finalize_events,
            key=content_id.encode(),
            value=dump_payload(event),
            route=f"rekey_{event.kind}",
            headers=headers,
        )
        return Outcome((record,), record.route, content_id, tenant_id)


@dataclass
class FinalizeStore(KeyedStateStore[FinalizeState]):
    """Per-item state of the partitions this worker owns, restored from the state topic."""

    names: TopicNames
    bootstrap_servers: str = ""
    client_options: dict[str, object] = field(default_factory=dict)
    table: StateTable = field(default_factory=StateTable)
    asked: dict[str, dict[str, datetime]] = field(default_factory=dict)
    label = "finalize"
    state_model = FinalizeState

    @property
    def state_topic(self) -> str:
        return self.names.finalize_state

    @property
    def events_topic(self) -> str:
        return self.names.finalize_events

    async def sweep(self, sender: Sender, max_age: timedelta, now: datetime) -> int:
        """Send an ``expire`` event for each item whose oldest parked answer is too old."""

        def due(state: FinalizeState) -> bool:
            return bool(state.parked) and min(p.parked_at for p in state.parked) <= now - max_age

        def expire(content_id: str) -> FinalizeEvent:
            return FinalizeEvent(kind=FinalizeEventKind.EXPIRE, content_id=content_id)

        return await self.ask_owners(
            sender, now, due, expire, "expire", max_age / 4, marked_only=True
        )

    def marked(self, state: FinalizeState) -> bool:
        return bool(state.parked)  # the park bound and the park expiry look only at these


@dataclass
class FinalizeStage:
    """Step 2: one state per item; tasks and answers meet here, in the order they arrived."""

    store: FinalizeStore
    topics: TopicNames
    clock: Clock = utc_clock
    deadline_hours: float = 24.0
    park_max_age_s: float = 86400.0
    park_max_items: int = 10000

    async def trace_parent(self, inbound: Inbound) -> Headers:
        """A reviewer's answer joins the trace of its task, echoed ``traceparent`` or not: its
        parent is the send that published the task. Other events keep their own headers (the
        re-key hop's send)."""
        if _traceparent(inbound.headers, EVENT_KIND) != FinalizeEventKind.DECISION:
            return ()
        state = self.store.get(inbound.partition, (inbound.key or b"").decode(errors="replace"))
        parent = state.traceparent if state is not None and state.task is not None else None
        parent = parent or _traceparent(inbound.headers, ORIGIN_TRACEPARENT)
        return (("traceparent", parent.encode()),) if parent else ()

    async def handle(self, inbound: Inbound) -> Outcome:
        try:
            event = parse_payload(FinalizeEvent, inbound.value or b"")
        except ContractError as error:
            return invalid_input(inbound, self.topics, STAGE, error)
        state = self.store.get(inbound.partition, event.content_id) or FinalizeState(
            content_id=event.content_id
        )
        outputs: list[Outbound] = []
        if event.kind is FinalizeEventKind.TASK:
            assert event.task is not None
            route = self._on_task(event, state, outputs, inbound)
        elif event.kind is FinalizeEventKind.DECISION:
            assert event.decision is not None
            parked = ParkedDecision(
                decision=event.decision,
                source=event.source,
                traceparent=event.traceparent,
                parked_at=self.clock(),
            )
            route, state = self._on_decision(parked, state, outputs, inbound)
        else:
            route, state = self._on_expire(state, outputs, inbound)
        task = event.task or state.task  # the state from before a task event has no task yet
        if task is not None:
            tenant: str | None = task.request.tenant_id
        else:  # an answer parked before its task: the tenant it claims
            tenant = event.decision.tenant_id if event.decision else None
        return Outcome((*outputs,), route, event.content_id, tenant)

    # -- events ------------------------------------------------------------------------------

    def _on_task(
        self, event: FinalizeEvent, state: FinalizeState, outputs: list[Outbound], inbound: Inbound
    ) -> str:
        task = event.task
        assert task is not None
        if state.task is not None and state.task.task_id == task.task_id:
            # A re-delivered task, or an escalated one this stage already recorded.
            return "task_duplicate"
        if state.task is not None and _generation(task) < _generation(state.task):
            return "task_stale"  # an earlier generation read again after its escalation
        parked = list(state.parked)
        state = FinalizeState(
            content_id=event.content_id,
            task=task,
            traceparent=event.traceparent or state.traceparent,
            updated_at=self.clock(),
        )
        route = "task_open"
        for answer in parked:  # answers that came early, in the order they came
            route, state = self._apply(answer, state, outputs, inbound)
        outputs.append(self.store.put(inbound.partition, state))
        return route

    def _on_decision(
        self,
        answer: ParkedDecision,
        state: FinalizeState,
        outputs: list[Outbound],
        inbound: Inbound,
    ) -> tuple[str, FinalizeState]:
        if state.task is None:  # the answer overtook its task: park it until the task arrives
            parked = [*state.parked, answer]
            while len(parked) > MAX_PARKED_PER_ITEM:  # the contract's bound for one item
                outputs.append(
                    self._letter(
                        parked.pop(0),
                        inbound,
                        "no_open_task",
                        f"no human-review task for content_id {state.content_id}; more than "
                        f"{MAX_PARKED_PER_ITEM} answers for it were waiting",
                    )
                )
            state = state.model_copy(update={"parked": parked})
            outputs.append(self.store.put(inbound.partition, state))
            self._enforce_park_bound(inbound.partition, outputs, inbound)
            return "parked", self.store.get(inbound.partition, state.content_id) or state
        route, state = self._apply(answer, state, outputs, inbound)
        outputs.append(self.store.put(inbound.partition, state))
        return route, state

    def _on_expire(
        self, state: FinalizeState, outputs: list[Outbound], inbound: Inbound
    ) -> tuple[str, FinalizeState]:
        cutoff = self.clock() - timedelta(seconds=self.park_max_age_s)
        expired = [p for p in state.parked if p.parked_at <= cutoff]
        if not expired:
            return "expire_nothing", state
        for answer in expired:
            outputs.append(
                self._letter(
                    answer,
                    inbound,
                    "no_open_task",
                    f"no human-review task arrived for content_id {state.content_id} within "
                    f"{self.park_max_age_s:.0f}s of the reviewer's answer",
                )
            )
        state = state.model_copy(
            update={"parked": [p for p in state.parked if p.parked_at > cutoff]}
        )
        outputs.append(self.store.put(inbound.partition, state))
        return "expired", state

    def _enforce_park_bound(
        self, partition: int, outputs: list[Outbound], inbound: Inbound
    ) -> None:
        """Keep at most ``park_max_items`` parked answers in the partition (oldest go first)."""
        states = {s.content_id: s for s in self.store.marked_states(partition)}
        count = sum(len(s.parked) for s in states.values())
        while count > self.park_max_items:
            holder = min(
                (s for s in states.values() if s.parked),
                key=lambda s: min(p.parked_at for p in s.parked),
            )
            first = min(holder.parked, key=lambda p: p.parked_at)
            outputs.append(
                self._letter(
                    first,
                    inbound,
                    "no_open_task",
                    f"no human-review task for content_id {holder.content_id}; more than "
                    f"{self.park_max_items} answers were waiting for their tasks",
                )
            )
            trimmed = holder.model_copy(
                update={"parked": [p for p in holder.parked if p is not first]}
            )
            outputs.append(self.store.put(partition, trimmed))
            states[trimmed.content_id] = trimmed
            count -= 1

    # -- deciding ------------------------------------------------------------------------------

    def _apply(
        self,
        answer: ParkedDecision,
        state: FinalizeState,
        outputs: list[Outbound],
        inbound: Inbound,
    ) -> tuple[str, FinalizeState]:
        human = answer.decision
        task = state.task
        assert task is not None
        answered = human.task_id
        if (
            human.action is HumanAction.ESCALATE
            and answered is not None
            and task.task_id.startswith(f"{answered}-e")
        ):
            return "duplicate", state  # that escalation was applied: this is a re-delivery
        problem = self._mismatch(human, state)
        if problem is not None:
            code, message = problem
            outputs.append(self._letter(answer, inbound, code, message))
            return f"deadletter:{code}", state
        if state.decided is not None:
            return "duplicate", state
        if human.action is HumanAction.ESCALATE:
            escalated = self._escalated(human, task)
            outputs.append(
                output(self.topics.human_review, escalated, human.content_id, "escalated")
            )
            # Recorded now, so an answer to the escalated task is accepted even before the
            # escalated task itself comes back through the re-key step (a duplicate then).
            return "escalated", state.model_copy(
                update={"task": escalated, "updated_at": self.clock()}
            )
        made = self._final(human, task)
        outputs.append(output(self.topics.decisions, made, human.content_id, "human", made.status))
        return "human", state.model_copy(
            update={"decided": str(human.action), "updated_at": self.clock()}
        )

    def _letter(
        self, answer: ParkedDecision, inbound: Inbound, code: str, message: str
    ) -> Outbound:
        source = answer.source
        key, value = answer.decision.content_id.encode(), dump_payload(answer.decision)
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

    @staticmethod
    def _mismatch(human: HumanDecision, state: FinalizeState) -> tuple[str, str] | None:
        assert state.task is not None
        if state.task.request.tenant_id != human.tenant_id:
            return "tenant_mismatch", "the decision's tenant_id differs from the task's"
        answered = human.task_id
        if answered is not None and answered != state.task.task_id and state.decided is None:
            return "task_mismatch", (
                f"decision answers task {answered}, the open task is {state.task.task_id}"
            )
        return None

    def _final(self, human: HumanDecision, task: HumanReviewTask) -> Decision:
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
        return made.model_copy(
            update={
                "categories": categories,
                "rationale": human.notes[:500],
                "reviewer_id": human.reviewer_id,
            }
        )

    def _escalated(self, human: HumanDecision, task: HumanReviewTask) -> HumanReviewTask:
        generation = _generation(task) + 1
        now = self.clock()
        # Escalation makes a task more urgent: it may bring the deadline forward, never later.
        deadline = min(task.review_deadline, review_deadline(now, self.deadline_hours / 4))
        return task.model_copy(
            update={
                "task_id": task_id_for(task.request.tenant_id, task.request.content_id, generation),
                "generation": generation,
                "escalation_reason": EscalationReason.POLICY_REQUIRES_HUMAN,
                "reason": f"escalated by reviewer {human.reviewer_id}"[:500],
                "priority": _ESCALATED_PRIORITY[task.priority],
                "review_deadline": deadline,
                "created_at": now,
            }
        )


async def sweep_forever(
    store: FinalizeStore, sender: Sender, max_age_s: float, clock: Clock = utc_clock
) -> None:
    """Every so often, ask the partitions' owners to expire answers that waited too long."""

    async def sweep(now: datetime) -> int:
        return await store.sweep(sender, timedelta(seconds=max_age_s), now)

    await keyed_sweep_forever(STAGE, sweep, sweep_interval_s(max_age_s), clock)
