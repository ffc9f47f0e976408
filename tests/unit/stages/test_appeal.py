"""The appeal stage's rules, one event at a time (state in memory; the broker tests are in
tests/integration/test_appeals.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from moderation.policy import PolicyBook
from moderation.settings import TopicNames
from moderation.stages.appeal import AppealStage, appeal_task_id
from moderation.stages.appeal_intake import AppealIntake, AppealStore
from moderation.stages.outputs import decision_id_for
from moderation.streaming.records import Inbound, Outcome
from moderation_contracts import (
    Appeal,
    AppealDecision,
    AppealEvent,
    AppealEventKind,
    AppealState,
    AppealVerdict,
    Decision,
    DecisionStatus,
    dump_payload,
    parse_payload,
)
from moderation_contracts import examples as ex
from moderation_contracts.appeal_internal import MAX_APPEALS_PER_ITEM
from tests.support.streaming import Broker

TOPICS = TopicNames()
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
BOOK = PolicyBook.from_mapping(
    {"tenants": {"shortwindow": {"version": "2", "appeal_window_days": 30}}}
)


def removed(days_ago: float = 3, tenant: str = "acme") -> Decision:
    return ex.final_decision().model_copy(
        update={"decided_at": NOW - timedelta(days=days_ago), "tenant_id": tenant}
    )


def allowed() -> Decision:
    """A later, allowing decision on the same item (not an overturn)."""
    return removed().model_copy(
        update={"status": DecisionStatus.ALLOWED, "decision_id": "d-later", "categories": []}
    )


def appeal(appeal_id: str = "ap-1", tenant: str = "acme", **changes: Any) -> Appeal:
    fields = {"content_id": ex.final_decision().content_id, **changes}
    return Appeal(
        appeal_id=appeal_id,
        tenant_id=tenant,
        appellant_id="user-9",
        reason="I was quoting the threat I received.",
        submitted_at=NOW - timedelta(hours=1),
        **fields,
    )


def answer(outcome: AppealVerdict, reviewer: str = "rev-12", appeal_id: str = "ap-1") -> Any:
    return AppealDecision(
        appeal_id=appeal_id,
        task_id=f"appeal-{appeal_id}",
        content_id=ex.final_decision().content_id,
        tenant_id="acme",
        reviewer_id=reviewer,
        outcome=outcome,
        reason="Quoting a threat to report it is allowed.",
    )


class Harness:
    def __init__(self) -> None:
        self.now = NOW
        self.stage = AppealStage(AppealStore(TOPICS), BOOK, TOPICS, clock=lambda: self.now)
        self.offset = 0

    async def send(
        self, content_id: str = ex.final_decision().content_id, **fields: Any
    ) -> Outcome:
        kind = next(k for k in AppealEventKind if str(k) in fields)
        event = AppealEvent(kind=kind, content_id=content_id, received_at=self.now, **fields)
        return await self.deliver(event)

    async def deliver(self, event: AppealEvent) -> Outcome:
        self.offset += 1
        return await self.stage.handle(
            Inbound(TOPICS.appeal_events, 0, self.offset, b"k", dump_payload(event))
        )

    async def expire(self, content_id: str = ex.final_decision().content_id) -> Outcome:
        return await self.deliver(AppealEvent(kind=AppealEventKind.EXPIRE, content_id=content_id))

    async def wait_out(self) -> Outcome:
        """Let the waiting appeals' time pass, and the sweep's expire event come."""
        self.now += timedelta(seconds=self.stage.unknown_wait_s + 1)
        return await self.expire()


def on(outcome: Outcome, topic: str) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in outcome.outputs if r.topic == topic]


async def test_a_valid_appeal_is_received_and_queued_without_the_original_reviewer() -> None:
    h = Harness()
    await h.send(decision=removed())
    done = await h.send(appeal=appeal())
    assert done.route == "appeal_received"
    (task,) = on(done, TOPICS.appeal_tasks)
    assert task["task_id"] == appeal_task_id(appeal())
    assert task["excluded_reviewers"] == ["rev-7"]
    assert task["original"]["decision_id"] == removed().decision_id
    assert [v["tier"] for v in task["original"]["verdicts"]] == ["haiku", "sonnet"]
    (outcome,) = on(done, TOPICS.appeal_outcomes)
    assert (outcome["status"], outcome["decision_id"]) == ("received", removed().decision_id)


async def test_every_invalid_appeal_gets_a_rejection_with_its_reason() -> None:
    cases = [
        ([], appeal(), "unknown_item"),
        ([removed(tenant="other")], appeal(), "unknown_item"),
        ([removed()], appeal(decision_id="d-not-this-one"), "unknown_item"),
        ([removed(days_ago=184)], appeal(), "late"),
        ([removed(days_ago=31, tenant="shortwindow")], appeal(tenant="shortwindow"), "late"),
        ([allowed()], appeal(), "unknown_item"),  # never restricted: not kept
        ([removed(), allowed()], appeal(), "not_restricted"),  # restricted, then re-decided
    ]
    for decisions, made, reason in cases:
        h = Harness()
        for decision in decisions:
            await h.send(decision=decision)
        done = await h.send(appeal=made)
        if reason == "unknown_item":  # its decision may be on its way: it waits for it first
            assert (done.route, on(done, TOPICS.appeal_outcomes)) == ("appeal_waiting", [])
            done = await h.wait_out()
            assert done.route == "waited_out"
        (outcome,) = on(done, TOPICS.appeal_outcomes)
        assert (outcome["status"], outcome["rejection"]) == ("rejected", reason), reason
        assert outcome["reason"]
        assert on(done, TOPICS.appeal_tasks) == []


async def test_within_the_window_is_heard() -> None:
    h = Harness()
    await h.send(decision=removed(days_ago=182))
    assert (await h.send(appeal=appeal())).route == "appeal_received"


async def test_a_second_appeal_is_a_duplicate_and_a_redelivery_gets_the_same_answer() -> None:
    h = Harness()
    await h.send(decision=removed())
    first = await h.send(appeal=appeal())
    again = await h.send(appeal=appeal())
    assert again.route == "appeal_redelivered"
    assert on(again, TOPICS.appeal_outcomes) == on(first, TOPICS.appeal_outcomes)
    other = await h.send(appeal=appeal("ap-2"))
    (outcome,) = on(other, TOPICS.appeal_outcomes)
    assert outcome["rejection"] == "duplicate"


async def test_an_upheld_appeal_closes_it_and_a_later_one_is_already_decided() -> None:
    h = Harness()
    await h.send(decision=removed())
    await h.send(appeal=appeal())
    done = await h.send(answer=answer(AppealVerdict.UPHELD))
    (outcome,) = on(done, TOPICS.appeal_outcomes)
    assert (outcome["status"], outcome["reviewer_id"]) == ("upheld", "rev-12")
    assert on(done, TOPICS.decisions) == []
    later = await h.send(appeal=appeal("ap-2"))
    assert on(later, TOPICS.appeal_outcomes)[0]["rejection"] == "already_decided"


async def test_an_overturn_publishes_a_final_decision_superseding_the_original() -> None:
    h = Harness()
    await h.send(decision=removed())
    await h.send(appeal=appeal())
    done = await h.send(answer=answer(AppealVerdict.OVERTURNED))
    (new,) = on(done, TOPICS.decisions)
    assert (new["status"], new["final"], new["decided_by"]) == ("allowed", True, "human")
    assert new["supersedes"] == removed().decision_id
    assert new["decision_id"] not in (None, removed().decision_id)
    (outcome,) = on(done, TOPICS.appeal_outcomes)
    assert (outcome["status"], outcome["new_decision_id"]) == ("overturned", new["decision_id"])
    # The superseding decision coming back through the decisions topic changes nothing, and
    # neither the overturned decision nor the new one can be appealed again.
    back = await h.send(decision=Decision.model_validate(new))
    assert back.route == "decision_known"
    old = await h.send(appeal=appeal("ap-3", decision_id=removed().decision_id))
    assert on(old, TOPICS.appeal_outcomes)[0]["rejection"] == "already_decided"
    assert (await h.send(answer=answer(AppealVerdict.OVERTURNED))).route == "answer_duplicate"


async def test_the_original_reviewer_cannot_decide_the_appeal() -> None:
    h = Harness()
    await h.send(decision=removed())
    await h.send(appeal=appeal())
    done = await h.send(answer=answer(AppealVerdict.OVERTURNED, reviewer="rev-7"))
    assert done.route == "deadletter:reviewer_excluded"
    assert on(done, TOPICS.decisions) == []
    still = await h.send(answer=answer(AppealVerdict.UPHELD))
    assert still.route == "appeal_upheld"


async def test_an_answer_without_an_open_appeal_is_dead_lettered_with_its_bytes() -> None:
    h = Harness()
    await h.send(decision=removed())
    done = await h.send(answer=answer(AppealVerdict.UPHELD, appeal_id="ap-none"))
    (letter,) = on(done, TOPICS.deadletter)
    assert letter["error_code"] == "no_open_appeal"


async def test_a_restricting_decision_gets_its_statement_and_an_allowed_one_none() -> None:
    h = Harness()
    done = await h.send(decision=removed())
    (statement,) = on(done, TOPICS.statements)
    assert statement["puid"] == removed().decision_id
    assert statement["automated_decision"] == "AUTOMATED_DECISION_PARTIALLY"
    kept = await Harness().send(decision=allowed())
    assert on(kept, TOPICS.statements) == []
    assert kept.route == "decision_not_kept"
    assert on(kept, TOPICS.appeal_state) == []


async def test_an_appeal_that_breaks_the_contract_is_answered_and_dead_lettered() -> None:
    intake = AppealIntake(TOPICS)
    raw = json.dumps(
        {"appeal_id": "ap-9", "content_id": "c-9", "tenant_id": "acme", "appellant_id": "u-1"}
    ).encode()  # no reason
    done = await intake.handle(Inbound(TOPICS.appeals, 0, 7, b"c-9", raw))
    (letter,) = on(done, TOPICS.deadletter)
    assert letter["error_code"] == "schema_mismatch"
    (answer,) = on(done, TOPICS.appeal_outcomes)
    assert (answer["status"], answer["rejection"]) == ("rejected", "invalid")
    assert "reason" in answer["reason"]
    unaddressed = await intake.handle(Inbound(TOPICS.appeals, 0, 8, b"x", b"{not json"))
    assert on(unaddressed, TOPICS.appeal_outcomes) == []
    assert len(on(unaddressed, TOPICS.deadletter)) == 1


async def test_a_decision_from_before_contract_1_2_gets_the_id_its_producer_would_give() -> None:
    old = removed().model_copy(update={"decision_id": None})
    done = await AppealIntake(TOPICS).handle(
        Inbound(TOPICS.decisions, 0, 1, b"k", dump_payload(old))
    )
    (event,) = on(done, TOPICS.appeal_events)
    expected = decision_id_for(old.tenant_id, old.content_id, "human", "removed")
    assert event["decision"]["decision_id"] == expected


async def test_the_sweep_asks_only_for_items_past_their_window_and_grace() -> None:
    h = Harness()
    await h.send(decision=removed(days_ago=200))  # window 183 + grace 7 passed
    young = removed(days_ago=100).model_copy(update={"content_id": "young"})
    await h.send(content_id="young", decision=young)
    short = removed(days_ago=40, tenant="shortwindow").model_copy(update={"content_id": "short"})
    await h.send(content_id="short", decision=short)  # its tenant's window is 30 days
    h.now += timedelta(days=8)  # and nothing happened to them for longer than the grace
    broker = Broker()
    every = timedelta(hours=1)

    def due(state: AppealState) -> bool:
        return h.stage.forgettable(state, h.now)

    assert await h.stage.store.sweep(broker, h.now, due, every) == 2
    asked = {
        parse_payload(AppealEvent, value).content_id
        for value in broker.values(TOPICS.appeal_events)
    }
    assert asked == {ex.final_decision().content_id, "short"}
    assert {parse_payload(AppealEvent, v).kind for v in broker.values(TOPICS.appeal_events)} == {
        AppealEventKind.EXPIRE
    }
    assert await h.stage.store.sweep(broker, h.now, due, every) == 0, "just asked"
    assert await h.stage.store.sweep(broker, h.now + every * 2, due, every) == 2, "asked again"


async def test_an_expired_item_is_dropped_and_tombstoned_and_then_unknown() -> None:
    h = Harness()
    await h.send(decision=removed(days_ago=200))
    h.now += timedelta(days=8)
    done = await h.expire()
    assert done.route == "expired"
    (tombstone,) = done.outputs
    assert (tombstone.topic, tombstone.key, tombstone.value, tombstone.partition) == (
        TOPICS.appeal_state,
        ex.final_decision().content_id.encode(),
        None,
        0,
    )
    assert h.stage.store.get(0, ex.final_decision().content_id) is None
    assert (await h.expire()).route == "expire_nothing", "asked twice: nothing left to drop"
    assert (await h.send(appeal=appeal())).route == "appeal_waiting"
    (outcome,) = on(await h.wait_out(), TOPICS.appeal_outcomes)
    assert (outcome["status"], outcome["rejection"]) == ("rejected", "unknown_item")


async def test_an_item_whose_appeal_opened_since_the_sweep_looked_is_kept() -> None:
    h = Harness()
    await h.send(decision=removed(days_ago=182))
    await h.send(appeal=appeal())  # heard: the appeal is open
    h.now = NOW + timedelta(days=400)
    kept = await h.expire()
    assert (kept.route, kept.outputs) == ("expire_kept", ())
    assert h.stage.store.get(0, ex.final_decision().content_id) is not None
    await h.send(answer=answer(AppealVerdict.UPHELD))  # closed: it may go after the grace
    h.now += timedelta(days=7, seconds=1)
    assert (await h.expire()).route == "expired"


async def test_an_item_that_is_not_yet_due_is_kept() -> None:
    h = Harness()
    await h.send(decision=removed(days_ago=180))
    h.now += timedelta(days=8)  # 188 days: within window + grace, though quiet for 8 days
    assert (await h.expire()).route == "expire_kept"


# -- appeals read before their decision (the two topics are read independently) ---------------


async def test_an_appeal_read_before_its_decision_waits_and_is_heard_when_it_comes() -> None:
    h = Harness()
    early = await h.send(appeal=appeal())
    assert early.route == "appeal_waiting"
    assert [r.topic for r in early.outputs] == [TOPICS.appeal_state]  # kept, not answered
    assert (await h.send(appeal=appeal())).route == "appeal_still_waiting", "a re-delivery"
    h.now += timedelta(seconds=60)
    done = await h.send(decision=removed())
    (task,) = on(done, TOPICS.appeal_tasks)
    assert task["original"]["decision_id"] == removed().decision_id
    (outcome,) = on(done, TOPICS.appeal_outcomes)
    assert (outcome["status"], outcome["decision_id"]) == ("received", removed().decision_id)
    assert len(on(done, TOPICS.statements)) == 1
    state = h.stage.store.get(0, ex.final_decision().content_id)
    assert state is not None
    assert (state.waiting, [r.appeal_id for r in state.appeals]) == ([], ["ap-1"])
    again = await h.send(appeal=appeal())
    assert again.route == "appeal_redelivered"
    assert on(again, TOPICS.appeal_outcomes) == [outcome]


async def test_either_order_gives_the_same_answers() -> None:
    """Both appeals of one decision, read before it or after it: one heard, one duplicate; an
    allowed item's appeal: unknown_item (allowed items are not kept), either way."""

    async def answers(h: Harness, events: list[dict[str, Any]]) -> dict[str, str]:
        found: dict[str, str] = {}
        for fields in events:
            done = await h.send(**fields)
            for outcome in on(done, TOPICS.appeal_outcomes):
                found[outcome["appeal_id"]] = outcome["rejection"] or outcome["status"]
        for outcome in on(await h.wait_out(), TOPICS.appeal_outcomes):
            found[outcome["appeal_id"]] = outcome["rejection"] or outcome["status"]
        return found

    appeals = [{"appeal": appeal()}, {"appeal": appeal("ap-2")}]
    for decision, expected in (
        (removed(), {"ap-1": "received", "ap-2": "duplicate"}),
        (allowed(), {"ap-1": "unknown_item", "ap-2": "unknown_item"}),
    ):
        after = await answers(Harness(), [{"decision": decision}, *appeals])
        before = await answers(Harness(), [*appeals, {"decision": decision}])
        assert after == before == expected, decision.status


async def test_an_appeal_waits_for_the_decision_it_names() -> None:
    h = Harness()
    await h.send(decision=removed())
    later = removed(days_ago=1).model_copy(update={"decision_id": "d-remoderated"})
    assert (await h.send(appeal=appeal(decision_id="d-remoderated"))).route == "appeal_waiting"
    assert (await h.send(appeal=appeal("ap-2"))).route == "appeal_received", "the current one"
    done = await h.send(decision=later)
    (outcome,) = on(done, TOPICS.appeal_outcomes)
    assert (outcome["appeal_id"], outcome["status"]) == ("ap-1", "received")


async def test_a_waiting_appeal_is_answered_unknown_after_the_wait_and_not_before() -> None:
    h = Harness()
    await h.send(appeal=appeal())
    h.now += timedelta(seconds=h.stage.unknown_wait_s - 1)
    early = await h.expire()  # a sweep's request that was not due yet: nothing is answered
    assert (early.route, early.outputs) == ("expire_kept", ())
    assert not h.stage.forgettable(
        h.stage.store.get(0, appeal().content_id), h.now + timedelta(days=400)
    )  # type: ignore[arg-type]
    done = await h.wait_out()
    (outcome,) = on(done, TOPICS.appeal_outcomes)
    assert (outcome["status"], outcome["rejection"]) == ("rejected", "unknown_item")
    late = await h.send(decision=removed())  # the decision after all: the answer stands
    assert on(late, TOPICS.appeal_outcomes) == []
    assert (await h.send(appeal=appeal())).route == "appeal_redelivered"


async def test_the_waiting_sweep_reads_only_items_with_appeals_waited_out() -> None:
    h = Harness()
    for number in range(3):
        await h.send(
            content_id=f"quiet-{number}",
            decision=removed().model_copy(update={"content_id": f"quiet-{number}"}),
        )
    await h.send(appeal=appeal())
    h.now += timedelta(seconds=30)
    await h.send(content_id="young", appeal=appeal("ap-y", content_id="young"))
    broker = Broker()
    age = timedelta(seconds=h.stage.unknown_wait_s)
    assert h.stage.store.table.keys(0, marked_only=True) == [appeal().content_id, "young"]
    assert await h.stage.store.sweep_waiting(broker, h.now, age) == 0, "none waited long enough"
    h.now += age - timedelta(seconds=10)
    assert await h.stage.store.sweep_waiting(broker, h.now, age) == 1
    (value,) = broker.values(TOPICS.appeal_events)
    asked = parse_payload(AppealEvent, value)
    assert (asked.kind, asked.content_id) == (AppealEventKind.EXPIRE, appeal().content_id)
    assert await h.stage.store.sweep_waiting(broker, h.now, age) == 0, "just asked"


async def test_beyond_the_bound_the_oldest_waiting_appeal_is_answered_at_once() -> None:
    h = Harness()
    for number in range(MAX_APPEALS_PER_ITEM):
        assert (await h.send(appeal=appeal(f"ap-{number}"))).route == "appeal_waiting"
    done = await h.send(appeal=appeal("ap-last"))
    (outcome,) = on(done, TOPICS.appeal_outcomes)
    assert (outcome["appeal_id"], outcome["rejection"]) == ("ap-0", "unknown_item")
    state = h.stage.store.get(0, appeal().content_id)
    assert state is not None
    assert len(state.waiting) == MAX_APPEALS_PER_ITEM


async def test_the_forgetting_sweep_reads_only_states_that_are_due() -> None:
    h = Harness()
    await h.send(decision=removed(days_ago=200))  # due once the grace has passed too
    young = removed(days_ago=100).model_copy(update={"content_id": "young"})
    await h.send(content_id="young", decision=young)
    opened = removed(days_ago=100).model_copy(update={"content_id": "opened"})
    await h.send(content_id="opened", decision=opened)
    heard = await h.send(content_id="opened", appeal=appeal(content_id="opened"))
    assert heard.route == "appeal_received"
    table = h.stage.store.table
    h.now += timedelta(days=8)
    assert table.keys(0, due_by=h.now) == [ex.final_decision().content_id]
    far = h.now + timedelta(days=4000)
    assert "opened" not in table.keys(0, due_by=far), "an open appeal keeps it out of reach"
    assert "young" in table.keys(0, due_by=far)


async def test_a_state_kept_by_a_longer_window_leaves_the_sweeps_reach_until_then() -> None:
    h = Harness()
    short = removed(days_ago=40, tenant="shortwindow")
    await h.send(decision=short)  # the tenant's window was 30 days: closed already
    h.now += timedelta(days=8)  # and nothing happened to it for longer than the grace
    table = h.stage.store.table
    assert table.keys(0, due_by=h.now) == [short.content_id]
    h.stage.policies = PolicyBook.from_mapping(
        {"tenants": {"shortwindow": {"version": "3", "appeal_window_days": 90}}}
    )
    assert (await h.expire()).route == "expire_kept"
    assert table.keys(0, due_by=h.now) == []
    assert table.keys(0, due_by=NOW + timedelta(days=58)) == [short.content_id]  # 90 + 7 - 40
