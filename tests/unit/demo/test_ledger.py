from __future__ import annotations

import base64

from moderation_contracts import DeadLetter, DecisionStatus, EscalationReason, Tier
from moderation_dev.demo.corpus import CorpusItem
from moderation_dev.demo.ledger import NO_OPEN_TASK, Ledger, classify
from moderation_dev.demo.routes import DemoRoute
from tests.support.demo import T0, Events

HUMAN_DECISIONS = "moderation.human-decisions.v1.demo-x"
REQUESTS = "moderation.requests.v1.demo-x"


def ledger_for(*ids: str) -> Ledger:
    items = [CorpusItem(cid, "benign", None, b"{}", None) for cid in ids]
    return Ledger(items, HUMAN_DECISIONS)


def letter(
    content_id: str | None,
    *,
    key: str | None = None,
    topic: str = REQUESTS,
    code: str = "invalid_json",
) -> DeadLetter:
    return DeadLetter.capture(
        b"{not json",
        key.encode() if key else None,
        error_code=code,
        error_message="broken",
        source_topic=topic,
        source_partition=0,
        source_offset=1,
        content_id=content_id,
    )


def test_an_item_is_open_until_a_final_decision(events: Events) -> None:
    ledger = ledger_for(events.content_id)
    ledger.published(events.content_id, T0)
    ledger.decision(events.decision(DecisionStatus.PENDING_REVIEW, Tier.HAIKU, 0.1))
    assert not ledger.done()
    assert ledger.missing()[0].stage().startswith("pending_review")
    ledger.decision(events.decision(DecisionStatus.ALLOWED, Tier.SONNET, 0.3))
    assert ledger.done()
    assert (ledger.published_count, ledger.decided_count) == (1, 1)


def test_repeated_events_count_as_duplicates(events: Events) -> None:
    ledger = ledger_for(events.content_id)
    final = events.decision(DecisionStatus.ALLOWED, Tier.HAIKU, 0.1)
    ledger.decision(final)
    ledger.decision(final)
    assert ledger.task(events.task()) is True
    assert ledger.task(events.task()) is False
    assert ledger.duplicates == 2
    assert ledger.trails[events.content_id].final == final


def test_a_dead_letter_is_matched_by_its_original_key() -> None:
    ledger = ledger_for("bad-1")
    ledger.dead_letter(letter(None, key="bad-1"))
    assert ledger.done()
    assert classify(ledger.trails["bad-1"]) is DemoRoute.DEAD_LETTER
    ledger.dead_letter(letter(None, key="someone-else"))
    assert ledger.strays == 1
    assert ledger.dead_letters == 2


def test_an_answer_that_overtook_its_task_is_answered_again(events: Events) -> None:
    ledger = ledger_for(events.content_id)
    task = events.task()
    ledger.task(task)
    again = ledger.dead_letter(letter(events.content_id, topic=HUMAN_DECISIONS, code=NO_OPEN_TASK))
    assert again == task
    assert not ledger.done(), "a rejected answer does not end the item"
    other = ledger.dead_letter(
        letter(events.content_id, topic=HUMAN_DECISIONS, code="tenant_mismatch")
    )
    assert other is None
    assert ledger.rejected_answer_codes == {NO_OPEN_TASK: 1, "tenant_mismatch": 1}
    assert ledger.pending_human_count == 1


def test_retries_of_an_answer_are_bounded(events: Events) -> None:
    ledger = ledger_for(events.content_id)
    ledger.task(events.task())
    answers = [
        ledger.dead_letter(letter(events.content_id, topic=HUMAN_DECISIONS, code=NO_OPEN_TASK))
        for _ in range(8)
    ]
    assert sum(a is not None for a in answers) == 5


def test_routes_are_classified_from_the_events(events: Events) -> None:
    def route(*steps: object) -> DemoRoute:
        ledger = ledger_for(events.content_id)
        for step in steps:
            if isinstance(step, DeadLetter):
                ledger.dead_letter(step)
            elif hasattr(step, "task_id"):
                ledger.task(step)  # type: ignore[arg-type]
            else:
                ledger.decision(step)  # type: ignore[arg-type]
        return classify(ledger.trails[events.content_id])

    d = events.decision
    haiku_once = events.cost((Tier.HAIKU, 1, 0.001))
    assert (
        route(d(DecisionStatus.ALLOWED, Tier.HAIKU, 0.1, cost=haiku_once)) is DemoRoute.HAIKU_ALLOW
    )
    pending = d(DecisionStatus.PENDING_REVIEW, Tier.HAIKU, 0.1)
    assert route(pending, d(DecisionStatus.ALLOWED, Tier.SONNET, 0.2)) is DemoRoute.SONNET_CLEARS
    assert route(pending, d(DecisionStatus.REMOVED, Tier.SONNET, 0.2)) is DemoRoute.SONNET_REMOVES
    assert (
        route(pending, events.task(), d(DecisionStatus.REMOVED, Tier.HUMAN, 0.5)) is DemoRoute.HUMAN
    )
    refused = d(DecisionStatus.PENDING_REVIEW, Tier.HAIKU, 0.1, reason="haiku refused (x)")
    assert route(refused, d(DecisionStatus.ALLOWED, Tier.SONNET, 0.2)) is DemoRoute.REFUSAL
    sonnet_refused = events.task(EscalationReason.MODEL_REFUSED)
    assert (
        route(pending, sonnet_refused, d(DecisionStatus.ALLOWED, Tier.HUMAN, 0.5))
        is DemoRoute.REFUSAL
    )
    twice = events.cost((Tier.HAIKU, 2, 0.002))
    assert route(d(DecisionStatus.ALLOWED, Tier.HAIKU, 0.1, cost=twice)) is DemoRoute.RETRY
    unavailable = events.task(EscalationReason.TIER_UNAVAILABLE)
    assert route(unavailable, d(DecisionStatus.ALLOWED, Tier.HUMAN, 0.5)) is DemoRoute.FALLBACK
    assert route(d(DecisionStatus.ALLOWED, Tier.FALLBACK, 0.1)) is DemoRoute.FALLBACK
    rejected = d(DecisionStatus.REJECTED, Tier.FALLBACK, 0.1)
    assert route(rejected, letter(events.content_id)) is DemoRoute.REJECTED
    assert route(pending) is DemoRoute.UNKNOWN


def test_original_key_that_is_not_text_is_a_stray() -> None:
    ledger = ledger_for("a")
    broken = letter(None).model_copy(
        update={"original_key_b64": base64.b64encode(b"\xff\xfe").decode()}
    )
    ledger.dead_letter(broken)
    assert ledger.strays == 1
    assert not ledger.done()


def test_a_stage_failure_is_told_apart_from_bad_input(events: Events) -> None:
    ledger = ledger_for(events.content_id)
    ledger.task(events.task())
    failed = letter(events.content_id, code="internal_error").model_copy(
        update={"stage": "finalize"}
    )
    ledger.dead_letter(failed)
    assert ledger.done()
    assert classify(ledger.trails[events.content_id]) is DemoRoute.PIPELINE_ERROR
    again = ledger.dead_letter(letter(events.content_id, topic=HUMAN_DECISIONS, code=NO_OPEN_TASK))
    assert again is None, "a dead-lettered item is not answered again"
