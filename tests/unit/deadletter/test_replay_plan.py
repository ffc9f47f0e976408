"""Choosing dead letters and rebuilding their original records, without Kafka."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from moderation.deadletter import REPLAY_HEADER, ReplayFilter, Selection, parse_since, plan_replay
from moderation_contracts import DeadLetter, dump_payload

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def letter(code: str, content_id: str | None, *, offset: int = 0, age_h: float = 0.0) -> DeadLetter:
    return DeadLetter.capture(
        b"\xff original bytes \x00",
        None if content_id is None else content_id.encode(),
        error_code=code,
        error_message="why it failed",
        source_topic="moderation.requests.v1",
        source_partition=1,
        source_offset=offset,
        content_id=content_id,
        tenant_id="acme",
        headers=[("traceparent", b"00-abc-def-01"), (REPLAY_HEADER, b"old:0:1")],
        failed_at=NOW - timedelta(hours=age_h),
    )


def selections(*letters: DeadLetter) -> list[Selection]:
    return [Selection(0, index, dump_payload(item)) for index, item in enumerate(letters)]


def test_the_original_record_comes_back_with_a_trail_header() -> None:
    plan = plan_replay(
        selections(letter("unknown_tenant", "c1")), ReplayFilter(), dead_letter_topic="dlq"
    )
    (record,) = plan.records
    assert record.topic == "moderation.requests.v1"
    assert record.key == b"c1"
    assert record.value == b"\xff original bytes \x00"
    assert record.headers == (("traceparent", b"00-abc-def-01"), (REPLAY_HEADER, b"dlq:0:0"))
    assert "original bytes" not in record.describe(), "content is never printed"
    assert "[unknown_tenant] content_id=c1" in record.describe()


def test_filters_all_must_hold_and_the_limit_counts_what_is_left() -> None:
    raw = selections(
        letter("unknown_tenant", "c1", age_h=5),
        letter("unknown_tenant", "c2", age_h=1),
        letter("invalid_json", "c3", age_h=1),
        letter("unknown_tenant", "c4", age_h=0.5),
        letter("unknown_tenant", None, age_h=0.5),
    )
    chosen = ReplayFilter(
        error_codes=frozenset({"unknown_tenant"}), since=NOW - timedelta(hours=2), limit=1
    )
    plan = plan_replay(raw, chosen, dead_letter_topic="dlq", to_topic="retry.v1")
    assert [r.letter.content_id for r in plan.records] == ["c2"]
    assert plan.left_by_limit == 2
    assert plan.records[0].topic == "retry.v1"
    by_id = plan_replay(raw, ReplayFilter(content_ids=frozenset({"c3"})), dead_letter_topic="d")
    assert [r.letter.error_code for r in by_id.records] == ["invalid_json"]
    assert (
        plan_replay(raw, ReplayFilter(tenant_ids=frozenset({"x"})), dead_letter_topic="d").records
        == []
    )


def test_records_that_are_not_dead_letters_are_reported_not_replayed() -> None:
    raw = [Selection(0, 0, b"{oops"), *selections(letter("too_large", "c1"))]
    plan = plan_replay(raw, ReplayFilter(), dead_letter_topic="dlq")
    assert plan.scanned == 2
    assert [(u.offset, u.problem) for u in plan.unreadable] == [(0, "invalid_json")]
    assert len(plan.records) == 1


def test_since_accepts_durations_and_times() -> None:
    assert parse_since("2h", NOW) == NOW - timedelta(hours=2)
    assert parse_since("30m", NOW) == NOW - timedelta(minutes=30)
    assert parse_since("2026-11-24T08:00:00") == datetime(2026, 11, 24, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="--since"):
        parse_since("yesterday")
