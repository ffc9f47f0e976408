"""OffsetTracker: a commit never runs past an unfinished offset, whatever order work finishes in."""

from __future__ import annotations

import pytest

from moderation.streaming.tracker import OffsetTracker


def test_nothing_is_committable_before_the_first_offset_finishes() -> None:
    tracker = OffsetTracker()
    tracker.start("p", 0)
    tracker.start("p", 1)
    assert tracker.finish("p", 1)
    assert tracker.committable() == {}
    assert tracker.in_flight() == 2, "a finished offset behind an unfinished one stays counted"


def test_out_of_order_finishes_move_the_commit_only_past_the_finished_prefix() -> None:
    tracker = OffsetTracker()
    for offset in (10, 11, 12, 13):
        tracker.start("p", offset)
    assert tracker.finish("p", 12)
    assert tracker.finish("p", 10)
    assert tracker.committable() == {"p": 11}, "11 is unfinished: 12 must wait for it"
    assert tracker.finish("p", 11)
    assert tracker.committable() == {"p": 13}
    assert tracker.in_flight() == 1
    assert tracker.finish("p", 13)
    assert tracker.committable() == {"p": 14}
    assert tracker.in_flight() == 0


def test_holes_in_the_offsets_are_not_waited_for() -> None:
    # Compaction and transaction markers leave offsets the consumer never returns.
    tracker = OffsetTracker()
    tracker.start("p", 3)
    tracker.start("p", 7)
    tracker.start("p", 20)
    assert tracker.finish("p", 7)
    assert tracker.committable() == {}
    assert tracker.finish("p", 3)
    assert tracker.committable() == {"p": 8}, "the commit names the offset after 7, not 4"
    assert tracker.finish("p", 20)
    assert tracker.committable() == {"p": 21}


def test_partitions_are_independent() -> None:
    tracker = OffsetTracker()
    tracker.start(("in", 0), 0)
    tracker.start(("in", 1), 0)
    tracker.start(("in", 1), 1)
    assert tracker.finish(("in", 1), 0)
    assert tracker.finish(("in", 1), 1)
    assert tracker.committable() == {("in", 1): 2}, "a slow partition holds no other back"
    assert tracker.in_flight([("in", 0)]) == 1
    assert tracker.in_flight([("in", 1)]) == 0
    assert tracker.in_flight([("other", 0)]) == 0


def test_offsets_started_out_of_order_are_refused() -> None:
    tracker = OffsetTracker()
    tracker.start("p", 5)
    with pytest.raises(ValueError, match="not after 5"):
        tracker.start("p", 5)
    with pytest.raises(ValueError, match="not after 5"):
        tracker.start("p", 4)


def test_an_offset_before_the_committable_one_is_refused_once_the_partition_is_idle() -> None:
    tracker = OffsetTracker()
    tracker.start("p", 5)
    tracker.finish("p", 5)
    with pytest.raises(ValueError, match="already released"):
        tracker.start("p", 2)
    tracker.start("p", 6)  # the next offset is fine
    assert tracker.in_flight() == 1


def test_finishing_an_offset_that_was_never_started_changes_nothing() -> None:
    tracker = OffsetTracker()
    tracker.start("p", 1)
    assert not tracker.finish("p", 2)
    assert not tracker.finish("q", 1)
    assert tracker.committable() == {}
    assert tracker.in_flight() == 1


def test_forget_drops_a_revoked_partition_without_making_its_work_committable() -> None:
    tracker = OffsetTracker()
    tracker.start("p", 1)
    tracker.finish("p", 1)
    tracker.start("p", 2)
    tracker.start("q", 0)
    tracker.forget("p")
    assert tracker.in_flight() == 1
    assert not tracker.finish("p", 2), "work of a revoked partition finishing late counts nothing"
    assert tracker.committable() == {}
    # The partition's next assignment starts from its committed offset again.
    tracker.start("p", 1)
    assert tracker.finish("p", 1)
    assert tracker.committable() == {"p": 2}
