"""In-order ack release: the guarantee that makes concurrency safe for at-least-once."""

from __future__ import annotations

import pytest

from moderation.streaming.tracker import OffsetTracker


def test_out_of_order_finishes_release_only_the_contiguous_prefix() -> None:
    tracker: OffsetTracker[str] = OffsetTracker()
    for offset in (10, 11, 12, 13):
        tracker.start("p0", offset, f"e{offset}")
    assert tracker.finish("p0", 12) == []
    assert tracker.finish("p0", 11) == []
    assert tracker.finish("p0", 10) == ["e10", "e11", "e12"]
    assert tracker.in_flight("p0") == 1
    assert tracker.finish("p0", 13) == ["e13"]
    assert tracker.in_flight() == 0


def test_partitions_are_independent() -> None:
    tracker: OffsetTracker[int] = OffsetTracker()
    tracker.start("a", 0, 0)
    tracker.start("b", 0, 100)
    tracker.start("b", 1, 101)
    assert tracker.finish("b", 1) == []
    assert tracker.finish("b", 0) == [100, 101], "a slow partition must not hold another back"
    assert tracker.in_flight("a") == 1


def test_a_slow_offset_blocks_later_acks_until_it_finishes() -> None:
    tracker: OffsetTracker[int] = OffsetTracker()
    for offset in range(5):
        tracker.start("p", offset, offset)
    for offset in range(1, 5):
        assert tracker.finish("p", offset) == []
    assert tracker.finish("p", 0) == [0, 1, 2, 3, 4]


def test_gaps_in_offsets_are_fine() -> None:
    # Compacted or transactional topics skip offsets; only started offsets matter.
    tracker: OffsetTracker[int] = OffsetTracker()
    tracker.start("p", 3, 3)
    tracker.start("p", 7, 7)
    assert tracker.finish("p", 7) == []
    assert tracker.finish("p", 3) == [3, 7]


def test_misuse_is_loud() -> None:
    tracker: OffsetTracker[int] = OffsetTracker()
    tracker.start("p", 1, 1)
    with pytest.raises(ValueError, match="already in flight"):
        tracker.start("p", 1, 1)
    with pytest.raises(KeyError):
        tracker.finish("p", 2)


def test_forget_drops_a_revoked_partition_without_releasing() -> None:
    tracker: OffsetTracker[int] = OffsetTracker()
    tracker.start("p", 1, 1)
    tracker.start("p", 2, 2)
    assert tracker.forget("p") == [1, 2]
    assert tracker.in_flight() == 0


def test_admit_reports_a_gap_instead_of_letting_the_commit_run_past_it() -> None:
    from moderation.streaming.tracker import Admission

    tracker: OffsetTracker[int] = OffsetTracker()
    assert tracker.admit("p", 4) is Admission.START
    tracker.start("p", 4, 4)
    assert tracker.admit("p", 6) is Admission.GAP, "offset 5 never arrived"
    assert tracker.expected("p") == 5
    assert tracker.admit("p", 5) is Admission.START


def test_admit_tells_redeliveries_apart() -> None:
    from moderation.streaming.tracker import Admission

    tracker: OffsetTracker[int] = OffsetTracker()
    for offset in (10, 11, 12):
        tracker.start("p", offset, offset)
    assert tracker.finish("p", 10) == [10]
    assert tracker.admit("p", 10) is Admission.DONE, "released: ack again, skip"
    assert tracker.admit("p", 11) is Admission.IN_FLIGHT, "running: skip, no ack"
    assert tracker.admit("p", 3) is Admission.BEHIND, "never seen, behind running work"
    tracker.finish("p", 11)
    tracker.finish("p", 12)
    assert tracker.admit("p", 3) is Admission.START, "nothing in flight: a new run"


def test_reset_forgets_positions_but_never_work_in_flight() -> None:
    from moderation.streaming.tracker import Admission

    tracker: OffsetTracker[int] = OffsetTracker()
    tracker.start("p", 7, 7)
    tracker.reset("p")
    assert tracker.in_flight("p") == 1
    tracker.finish("p", 7)
    tracker.reset("p")
    assert tracker.admit("p", 42) is Admission.START
