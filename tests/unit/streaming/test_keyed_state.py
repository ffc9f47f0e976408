"""The keyed state store's table: states by partition and item, as values, off the heap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moderation.settings import TopicNames
from moderation.stages.finalize import FinalizeStore
from moderation.streaming.keyed_state import StateTable
from moderation_contracts import FinalizeState, parse_payload

TOPICS = TopicNames()


def state(content_id: str, decided: str | None = "allowed") -> FinalizeState:
    return FinalizeState(content_id=content_id, decided=decided)


def test_a_state_put_is_read_back_and_written_through_to_its_partition() -> None:
    store = FinalizeStore(TOPICS)
    put = state("c1")
    record = store.put(3, put)
    assert store.get(3, "c1") == put
    assert store.get(2, "c1") is None, "partitions are apart"
    assert (record.topic, record.partition, record.key) == (TOPICS.finalize_state, 3, b"c1")
    assert parse_payload(FinalizeState, record.value or b"") == store.get(3, "c1")


def test_a_later_put_replaces_the_state() -> None:
    store = FinalizeStore(TOPICS)
    store.put(0, state("c1", decided=None))
    store.put(0, state("c1", decided="removed"))
    assert store.get(0, "c1").decided == "removed"  # type: ignore[union-attr]
    assert store.table.count(0) == 1


def test_drop_forgets_the_item_and_returns_its_tombstone() -> None:
    store = FinalizeStore(TOPICS)
    store.put(1, state("c1"))
    store.asked["c1"] = {"expire": datetime.now(UTC)}
    tombstone = store.drop(1, "c1")
    assert (tombstone.value, tombstone.partition) == (None, 1)
    assert store.get(1, "c1") is None
    assert "c1" not in store.asked


def test_a_revoked_partition_is_forgotten_and_the_others_stay() -> None:
    store = FinalizeStore(TOPICS)
    for number in range(3):
        store.put(number, state(f"c{number}"))
    store.asked["c1"] = {"expire": datetime.now(UTC)}
    store.revoked([(TOPICS.finalize_events, 1)])
    assert store.get(1, "c1") is None
    assert "c1" not in store.asked
    assert store.get(0, "c0") is not None
    assert store.get(2, "c2") is not None


def test_the_table_lists_keys_by_partition_and_marks() -> None:
    table = StateTable()
    table.put(0, "b", b"1", marked=True)
    table.put(0, "a", b"2")
    table.put(1, "c", b"3", marked=True)
    assert table.keys(0) == ["a", "b"]
    assert table.keys(0, marked_only=True) == ["b"]
    table.put(0, "b", b"4")  # no longer marked
    assert table.keys(0, marked_only=True) == []
    assert sorted(table.partitions()) == [0, 1]
    assert (table.count(0), table.get(0, "b")) == (2, b"4")
    assert table.drop_partition(0) == ["a", "b"]
    assert table.get(0, "a") is None
    assert table.count(1) == 1


def test_each_store_has_its_own_table() -> None:
    first, second = FinalizeStore(TOPICS), FinalizeStore(TOPICS)
    first.put(0, state("c1"))
    assert second.get(0, "c1") is None


def test_the_table_lists_only_the_keys_due_by_a_time() -> None:
    table = StateTable()
    now = datetime(2027, 1, 1, tzinfo=UTC)
    table.put(0, "due", b"{}", due=now - timedelta(days=1))
    table.put(0, "exactly", b"{}", due=now)
    table.put(0, "later", b"{}", due=now + timedelta(days=1))
    table.put(0, "never", b"{}")  # no rule applies until something happens to it
    table.put(1, "elsewhere", b"{}", due=now - timedelta(days=1))
    assert table.keys(0, due_by=now) == ["due", "exactly"]
    assert table.keys(0) == ["due", "exactly", "later", "never"]
    table.put(0, "due", b"{}")  # re-put without a due: out of the sweep's reach
    assert table.keys(0, due_by=now) == ["exactly"]
