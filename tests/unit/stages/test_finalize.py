"""Finalize: tasks and reviewers' answers re-keyed onto one topic, then decided per item state.

Every record goes the way it goes in the worker: a human-review task or a reviewer's answer is
re-keyed by FinalizeIntake, and the event it produces is handed to FinalizeStage as a record of
the events topic (partition 2 here). No broker: the store is only given partitions' states.
"""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from moderation.settings import TopicNames
from moderation.stages.finalize import (
    EVENT_KIND,
    ORIGIN_TRACEPARENT,
    FinalizeIntake,
    FinalizeStage,
    FinalizeStore,
)
from moderation.stages.outputs import task_id_for
from moderation.streaming.records import Headers, Inbound, Outbound, Outcome
from moderation_contracts import (
    Decision,
    EscalationReason,
    FinalizeEvent,
    FinalizeEventKind,
    FinalizeState,
    HumanAction,
    HumanDecision,
    HumanReviewTask,
    ModerationRequest,
    Priority,
    dump_payload,
    parse_payload,
)

TOPICS = TopicNames()
PARTITION = 2  # of the events topic
REVIEW_PARTITION = 1  # of human-review, where tasks come from
ANSWER_PARTITION = 4  # of human-decisions, where reviewers' answers come from
T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
TRACE_TASK = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
TRACE_ANSWER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def task(content_id: str = "c1", generation: int = 0, tenant_id: str = "acme") -> HumanReviewTask:
    request = ModerationRequest(
        content_id=content_id, tenant_id=tenant_id, text="some text", submitted_at=T0
    )
    return HumanReviewTask(
        task_id=task_id_for(tenant_id, content_id, generation),
        generation=generation,
        request=request,
        escalation_reason=EscalationReason.FLAGGED_CONFIRMED,
        priority=Priority.NORMAL,
        review_deadline=T0 + timedelta(hours=4),
        created_at=T0,
    )


def answer(
    action: HumanAction = HumanAction.ALLOW,
    *,
    content_id: str = "c1",
    tenant_id: str = "acme",
    task_id: str | None = None,
) -> HumanDecision:
    categories = [{"category": "hate", "severity": "high", "confidence": 1.0}]
    return HumanDecision.model_validate(
        {
            "content_id": content_id,
            "tenant_id": tenant_id,
            "task_id": task_id,
            "reviewer_id": "r1",
            "action": action,
            "categories": categories if action is HumanAction.REMOVE else [],
            "notes": "checked",
        }
    )


@dataclass
class Finalize:
    """The two finalize steps wired as the worker wires them, minus Kafka."""

    clock: Clock = field(default_factory=Clock)
    park_max_age_s: float = 3600.0
    park_max_items: int = 100
    offsets: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.store = FinalizeStore(TOPICS)
        self.rekey = FinalizeIntake(TOPICS)
        self.stage = FinalizeStage(
            self.store,
            TOPICS,
            clock=self.clock,
            park_max_age_s=self.park_max_age_s,
            park_max_items=self.park_max_items,
        )

    async def event(self, topic: str, value: bytes, headers: Headers = ()) -> Inbound:
        """Re-key one record of ``topic``; the event record finalize reads next."""
        partition = REVIEW_PARTITION if topic == TOPICS.human_review else ANSWER_PARTITION
        source = Inbound(topic, partition, next(self.offsets), b"any-key", value, headers)
        outcome = await self.rekey.handle(source)
        (record,) = outcome.outputs
        assert record.topic == TOPICS.finalize_events
        return Inbound(
            TOPICS.finalize_events,
            PARTITION,
            next(self.offsets),
            record.key,
            record.value,
            record.headers,
        )

    async def task(self, made: HumanReviewTask, headers: Headers = ()) -> Outcome:
        return await self.stage.handle(
            await self.event(TOPICS.human_review, dump_payload(made), headers)
        )

    async def answer(self, made: HumanDecision, headers: Headers = ()) -> Outcome:
        return await self.stage.handle(
            await self.event(TOPICS.human_decisions, dump_payload(made), headers)
        )

    async def expire(self, content_id: str = "c1") -> Outcome:
        event = FinalizeEvent(kind=FinalizeEventKind.EXPIRE, content_id=content_id)
        return await self.stage.handle(
            Inbound(
                TOPICS.finalize_events,
                PARTITION,
                next(self.offsets),
                content_id.encode(),
                dump_payload(event),
            )
        )


def on(outcome: Outcome, topic: str) -> list[Outbound]:
    return [record for record in outcome.outputs if record.topic == topic]


def states(outcome: Outcome) -> dict[str, FinalizeState]:
    """The state records of an outcome by content_id; each must go to the event's partition."""
    found: dict[str, FinalizeState] = {}
    for record in on(outcome, TOPICS.finalize_state):
        assert record.partition == PARTITION, "state is co-partitioned with the events topic"
        state = parse_payload(FinalizeState, record.value)
        assert record.key == state.content_id.encode()
        found[state.content_id] = state
    return found


def decisions(outcome: Outcome) -> list[Decision]:
    return [parse_payload(Decision, record.value) for record in on(outcome, TOPICS.decisions)]


def letters(outcome: Outcome) -> list[dict[str, object]]:
    return [json.loads(record.value) for record in on(outcome, TOPICS.deadletter)]


def original(letter: dict[str, object]) -> HumanDecision:
    return parse_payload(HumanDecision, base64.b64decode(str(letter["original_value_b64"])))


async def test_a_task_then_its_answer_makes_the_final_decision() -> None:
    finalize = Finalize()
    opened = await finalize.task(task())
    assert (opened.route, opened.tenant_id) == ("task_open", "acme")
    assert on(opened, TOPICS.decisions) == []
    assert [(s.task.task_id if s.task else None, s.decided) for s in states(opened).values()] == [
        (task().task_id, None)
    ]
    removed = await finalize.answer(answer(HumanAction.REMOVE, task_id=task().task_id))
    assert (removed.route, removed.content_id, removed.tenant_id) == ("human", "c1", "acme")
    (made,) = decisions(removed)
    assert (made.status, made.decided_by, made.final) == ("removed", "human", True)
    assert [c.category for c in made.categories] == ["hate"]
    assert made.rationale == "checked"
    assert states(removed)["c1"].decided == "remove"
    assert letters(removed) == []


async def test_an_answer_before_its_task_is_parked_and_applied_when_the_task_arrives() -> None:
    finalize = Finalize()
    early = await finalize.answer(answer(task_id=task().task_id))
    assert (early.route, early.tenant_id) == ("parked", "acme")
    assert on(early, TOPICS.decisions) == []
    assert letters(early) == []
    parked = states(early)["c1"]
    assert (parked.task, len(parked.parked)) == (None, 1)
    source = parked.parked[0].source
    assert source is not None
    assert (source.topic, source.partition, source.offset) == (
        TOPICS.human_decisions,
        ANSWER_PARTITION,
        0,
    )
    arrived = await finalize.task(task())
    assert arrived.route == "human"
    (made,) = decisions(arrived)
    assert (made.status, made.decided_by) == ("allowed", "human")
    state = states(arrived)["c1"]
    assert (state.decided, state.parked) == ("allow", [])


async def test_a_repeated_answer_or_task_after_the_decision_changes_nothing() -> None:
    finalize = Finalize()
    await finalize.task(task())
    first = await finalize.answer(answer(task_id=task().task_id))
    assert len(decisions(first)) == 1
    again = await finalize.answer(answer(task_id=task().task_id))
    assert again.route == "duplicate"
    assert decisions(again) == []
    assert letters(again) == []
    retask = await finalize.task(task())
    assert (retask.route, retask.outputs) == ("task_duplicate", ())
    assert finalize.store.get(PARTITION, "c1") == states(first)["c1"]


@pytest.mark.parametrize(
    ("wrong", "code"),
    [
        ({"tenant_id": "other"}, "tenant_mismatch"),
        ({"task_id": "task-from-elsewhere"}, "task_mismatch"),
    ],
)
async def test_an_answer_that_does_not_fit_the_open_task_is_dead_lettered(
    wrong: dict[str, str], code: str
) -> None:
    finalize = Finalize()
    await finalize.task(task())
    bad = answer(task_id=task().task_id).model_copy(update=wrong)
    rejected = await finalize.answer(bad)
    assert rejected.route == f"deadletter:{code}"
    assert decisions(rejected) == []
    (letter,) = letters(rejected)
    assert letter["error_code"] == code
    assert (letter["source_topic"], letter["source_partition"], letter["source_offset"]) == (
        TOPICS.human_decisions,
        ANSWER_PARTITION,
        2,
    )
    assert original(letter) == bad
    # The task stays open: the right answer still decides it.
    good = await finalize.answer(answer(task_id=task().task_id))
    assert [d.status for d in decisions(good)] == ["allowed"]


async def test_an_escalation_is_recorded_at_once_so_its_answer_may_come_before_its_task() -> None:
    finalize = Finalize()
    await finalize.task(task())
    escalated = await finalize.answer(answer(HumanAction.ESCALATE, task_id=task().task_id))
    assert escalated.route == "escalated"
    assert decisions(escalated) == []
    (requeued,) = on(escalated, TOPICS.human_review)
    new_task = parse_payload(HumanReviewTask, requeued.value)
    assert new_task.task_id == task(generation=1).task_id
    assert new_task.priority is Priority.HIGH
    assert new_task.escalation_reason is EscalationReason.POLICY_REQUIRES_HUMAN
    assert states(escalated)["c1"].task == new_task
    # The senior reviewer answers before the escalated task came back through the re-key step.
    decided = await finalize.answer(answer(HumanAction.REMOVE, task_id=new_task.task_id))
    assert decided.route == "human"
    assert [d.status for d in decisions(decided)] == ["removed"]
    back = await finalize.task(new_task)
    assert (back.route, back.outputs) == ("task_duplicate", ())


async def test_an_earlier_task_generation_read_again_does_not_reopen_the_item() -> None:
    finalize = Finalize()
    await finalize.task(task())
    await finalize.answer(answer(HumanAction.ESCALATE, task_id=task().task_id))
    stale = await finalize.task(task())
    assert (stale.route, stale.outputs) == ("task_stale", ())
    assert finalize.store.get(PARTITION, "c1").task.task_id == task(generation=1).task_id  # type: ignore[union-attr]
    late = await finalize.answer(answer(task_id=task(generation=1).task_id))
    assert [d.status for d in decisions(late)] == ["allowed"]


async def test_expiry_dead_letters_only_the_answers_parked_longer_than_the_bound() -> None:
    finalize = Finalize(park_max_age_s=100)
    first = answer(content_id="c1")
    await finalize.answer(first)  # parked at T0, read from offset 0
    finalize.clock.advance(10)
    second = answer(HumanAction.ESCALATE, content_id="c1")
    await finalize.answer(second)  # parked at T0+10s, offset 2
    finalize.clock.advance(50)
    young = answer(HumanAction.REMOVE, content_id="c1")
    await finalize.answer(young)  # parked at T0+60s, offset 4
    finalize.clock.advance(60)
    expired = await finalize.expire("c1")
    assert expired.route == "expired"
    assert decisions(expired) == []
    old = letters(expired)
    assert [letter["error_code"] for letter in old] == ["no_open_task"] * 2
    assert [
        (letter["source_topic"], letter["source_partition"], letter["source_offset"])
        for letter in old
    ] == [
        (TOPICS.human_decisions, ANSWER_PARTITION, 0),
        (TOPICS.human_decisions, ANSWER_PARTITION, 2),
    ]
    assert [original(letter) for letter in old] == [first, second]
    assert [p.decision for p in states(expired)["c1"].parked] == [young]
    assert (await finalize.expire("c1")).outputs == (), "the young answer is not due yet"
    finalize.clock.advance(41)
    (last,) = letters(await finalize.expire("c1"))
    assert last["source_offset"] == 4
    assert original(last) == young
    assert finalize.store.get(PARTITION, "c1").parked == []  # type: ignore[union-attr]


async def test_expiry_leaves_an_item_without_parked_answers_alone() -> None:
    finalize = Finalize(park_max_age_s=0)
    await finalize.task(task())
    await finalize.answer(answer(task_id=task().task_id))
    finalize.clock.advance(10)
    nothing = await finalize.expire("c1")
    assert (nothing.route, nothing.outputs) == ("expire_nothing", ())
    assert (await finalize.expire("never-seen")).outputs == ()


async def test_parking_past_the_partitions_bound_dead_letters_the_oldest_answer() -> None:
    finalize = Finalize(park_max_items=2)
    for number, content_id in enumerate(("a", "b", "c")):
        finalize.clock.now = T0 + timedelta(seconds=number)
        outcome = await finalize.answer(answer(content_id=content_id))
        assert outcome.route == "parked"
    (letter,) = letters(outcome)
    assert (letter["source_offset"], original(letter).content_id) == (0, "a")
    assert "more than 2 answers" in str(letter["error_message"])
    assert {cid: len(s.parked) for cid, s in states(outcome).items()} == {"a": 0, "c": 1}
    # a's answer is gone; b's still waits and is applied when its task comes.
    assert decisions(await finalize.task(task("a"))) == []
    assert [d.status for d in decisions(await finalize.task(task("b")))] == ["allowed"]


async def test_an_answer_joins_the_trace_of_its_task_whether_or_not_it_echoed_one() -> None:
    finalize = Finalize()
    task_trace = (("traceparent", TRACE_TASK.encode()),)
    answer_trace = (("traceparent", TRACE_ANSWER.encode()),)
    task_event = await finalize.event(TOPICS.human_review, dump_payload(task()), task_trace)
    assert (ORIGIN_TRACEPARENT, TRACE_TASK.encode()) in task_event.headers
    assert parse_payload(FinalizeEvent, task_event.value or b"").traceparent == TRACE_TASK
    assert await finalize.stage.trace_parent(task_event) == (), "a task keeps the re-key's trace"
    await finalize.stage.handle(task_event)
    silent = await finalize.event(TOPICS.human_decisions, dump_payload(answer()))
    assert all(name != ORIGIN_TRACEPARENT for name, _ in silent.headers)
    assert await finalize.stage.trace_parent(silent) == task_trace
    echoed = await finalize.event(TOPICS.human_decisions, dump_payload(answer()), answer_trace)
    assert (ORIGIN_TRACEPARENT, TRACE_ANSWER.encode()) in echoed.headers
    assert await finalize.stage.trace_parent(echoed) == task_trace, "the task's trace wins"


async def test_an_answer_without_a_known_task_trace_continues_its_own_if_it_has_one() -> None:
    finalize = Finalize()
    answer_trace = (("traceparent", TRACE_ANSWER.encode()),)
    await finalize.task(task("untraced"))  # its record carried no traceparent
    for content_id in ("untraced", "unknown"):
        echoed = await finalize.event(
            TOPICS.human_decisions, dump_payload(answer(content_id=content_id)), answer_trace
        )
        assert await finalize.stage.trace_parent(echoed) == answer_trace, content_id
    await finalize.answer(answer(content_id="parked"))
    parked_again = await finalize.event(
        TOPICS.human_decisions, dump_payload(answer(content_id="parked")), answer_trace
    )
    assert await finalize.stage.trace_parent(parked_again) == answer_trace
    silent = await finalize.event(TOPICS.human_decisions, dump_payload(answer(content_id="x")))
    assert await finalize.stage.trace_parent(silent) == (), "nothing to continue: its own headers"


@pytest.mark.parametrize("topic", [TOPICS.human_review, TOPICS.human_decisions])
@pytest.mark.parametrize("value", [b"{not json", b'{"content_id": "c1"}'])
async def test_the_rekey_step_dead_letters_invalid_input_with_its_original_bytes(
    topic: str, value: bytes
) -> None:
    inbound = Inbound(topic, 3, 41, b"c1", value, (("x", b"y"),))
    outcome = await FinalizeIntake(TOPICS).handle(inbound)
    (record,) = outcome.outputs
    assert record.topic == TOPICS.deadletter
    letter = json.loads(record.value)
    assert base64.b64decode(letter["original_value_b64"]) == value
    assert (letter["source_topic"], letter["source_partition"], letter["source_offset"]) == (
        topic,
        3,
        41,
    )
    assert letter["stage"] == "finalize"


@pytest.mark.parametrize(
    ("topic", "value", "kind"),
    [
        (TOPICS.human_review, dump_payload(task("c7")), FinalizeEventKind.TASK),
        (TOPICS.human_decisions, dump_payload(answer(content_id="c7")), FinalizeEventKind.DECISION),
    ],
)
async def test_the_rekey_step_publishes_one_event_keyed_by_content_id(
    topic: str, value: bytes, kind: FinalizeEventKind
) -> None:
    inbound = Inbound(topic, 3, 41, b"a-key-from-another-client", value)
    outcome = await FinalizeIntake(TOPICS).handle(inbound)
    (record,) = outcome.outputs
    assert (record.topic, record.key, record.partition) == (TOPICS.finalize_events, b"c7", None)
    assert record.headers == ((EVENT_KIND, str(kind).encode()),)
    event = parse_payload(FinalizeEvent, record.value)
    assert (event.kind, event.content_id, event.traceparent) == (kind, "c7", None)
    assert event.source is not None
    assert (event.source.topic, event.source.partition, event.source.offset) == (topic, 3, 41)
    # Answers come from outside clients: their bytes are kept whole for a later dead letter.
    kept = event.source.value_b64
    assert (base64.b64decode(kept) if kept else None) == (
        value if kind is FinalizeEventKind.DECISION else None
    )
    assert (event.task or event.decision) == parse_payload(
        HumanReviewTask if kind is FinalizeEventKind.TASK else HumanDecision,  # type: ignore[arg-type]
        value,
    )
    assert (outcome.content_id, outcome.tenant_id) == ("c7", "acme")


@dataclass
class Sent:
    records: list[Outbound] = field(default_factory=list)

    async def send(self, record: Outbound, headers: Headers) -> tuple[int, int]:
        self.records.append(record)
        return 0, len(self.records) - 1


async def test_the_sweep_asks_for_expiry_of_old_parked_answers_and_does_not_repeat_at_once() -> (
    None
):
    finalize = Finalize(park_max_age_s=100)
    await finalize.answer(answer(content_id="old"))
    finalize.clock.advance(90)
    await finalize.answer(answer(content_id="young"))
    await finalize.task(task("open"))
    sent = Sent()
    age = timedelta(seconds=100)
    finalize.clock.advance(20)
    assert await finalize.store.sweep(sent, age, finalize.clock()) == 1
    (record,) = sent.records
    assert (record.topic, record.key) == (TOPICS.finalize_events, b"old")
    assert parse_payload(FinalizeEvent, record.value).kind is FinalizeEventKind.EXPIRE
    assert await finalize.store.sweep(sent, age, finalize.clock()) == 0, "just asked"
    finalize.clock.advance(26)
    assert await finalize.store.sweep(sent, age, finalize.clock()) == 1, "asked again later"
    finalize.store.revoked([(TOPICS.finalize_events, PARTITION)])
    assert finalize.store.get(PARTITION, "old") is None
    assert await finalize.store.sweep(sent, age, finalize.clock()) == 0


async def test_a_redelivered_escalation_is_a_duplicate_not_a_dead_letter() -> None:
    finalize = Finalize()
    await finalize.task(task())
    escalate = answer(HumanAction.ESCALATE, task_id=task().task_id)
    first = await finalize.answer(escalate)
    assert first.route == "escalated"
    again = await finalize.answer(escalate)  # read again after a crash, or a producer retry
    assert (again.route, letters(again), on(again, TOPICS.human_review)) == ("duplicate", [], [])


async def test_a_stale_allow_for_an_escalated_task_is_still_refused() -> None:
    finalize = Finalize()
    await finalize.task(task())
    await finalize.answer(answer(HumanAction.ESCALATE, task_id=task().task_id))
    stale = await finalize.answer(answer(HumanAction.ALLOW, task_id=task().task_id))
    assert [letter["error_code"] for letter in letters(stale)] == ["task_mismatch"]
    assert decisions(stale) == []


async def test_one_item_never_parks_more_answers_than_its_state_can_hold() -> None:
    from moderation.stages.finalize import MAX_PARKED_PER_ITEM

    finalize = Finalize(park_max_items=1000)
    for _ in range(MAX_PARKED_PER_ITEM):
        assert (await finalize.answer(answer())).route == "parked"
    overflow = await finalize.answer(answer())
    assert [letter["error_code"] for letter in letters(overflow)] == ["no_open_task"]
    (kept,) = states(overflow).values()
    assert len(kept.parked) == MAX_PARKED_PER_ITEM
    # What is written can be read back: the state stays within its contract.
    assert parse_payload(FinalizeState, dump_payload(kept)) == kept


async def test_a_dead_lettered_answer_keeps_the_exact_bytes_the_reviewer_tool_sent() -> None:
    finalize = Finalize()
    await finalize.task(task())
    sent = b'{ "content_id": "c1", "tenant_id": "other", "reviewer_id": "r1", "action": "allow" }'
    refused = await finalize.stage.handle(await finalize.event(TOPICS.human_decisions, sent))
    (letter,) = letters(refused)
    assert letter["error_code"] == "tenant_mismatch"
    assert base64.b64decode(str(letter["original_value_b64"])) == sent
    assert base64.b64decode(str(letter["original_key_b64"])) == b"any-key"
    assert letter["source_topic"] == TOPICS.human_decisions


async def escalate(made: HumanReviewTask) -> HumanReviewTask:
    finalize = Finalize()
    await finalize.task(made)
    escalated = await finalize.answer(answer(HumanAction.ESCALATE, task_id=made.task_id))
    (requeued,) = on(escalated, TOPICS.human_review)
    return parse_payload(HumanReviewTask, requeued.value)


async def test_escalation_raises_priority_and_never_moves_the_deadline_later() -> None:
    soon = task().model_copy(update={"review_deadline": T0 + timedelta(hours=1)})
    kept = await escalate(soon)
    assert kept.priority is Priority.HIGH
    assert kept.review_deadline == soon.review_deadline
    far = task().model_copy(
        update={"priority": Priority.LOW, "review_deadline": T0 + timedelta(hours=48)}
    )
    brought_forward = await escalate(far)
    assert brought_forward.priority is Priority.NORMAL
    assert brought_forward.review_deadline == T0 + timedelta(hours=24 / 4)


async def test_the_escalation_generation_is_stored_with_the_task_not_parsed_from_its_id() -> None:
    # Task ids are hex digests: "-e" may appear in one without any escalation.
    odd = task().model_copy(update={"task_id": "task-e0e1-ee-e2"})
    first = await escalate(odd)
    assert first.generation == 1
    assert first.task_id == task_id_for("acme", "c1", 1)
    second = await escalate(first)
    assert second.generation == 2
    assert second.task_id == task_id_for("acme", "c1", 2)


async def test_a_human_decision_names_the_policy_even_when_no_model_judged() -> None:
    finalize = Finalize()
    made = task().model_copy(update={"policy_id": "default", "policy_version": "2026.11:acme.3"})
    assert (made.triage, made.review) == (None, None)  # e.g. triage unavailable, fail closed
    await finalize.task(made)
    (final,) = decisions(await finalize.answer(answer(task_id=made.task_id)))
    assert (final.policy_id, final.policy_version) == ("default", "2026.11:acme.3")
