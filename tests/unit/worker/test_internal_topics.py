"""Finalize's and the appeal stage's internal topics must be co-partitioned in pairs; the
worker says so before it starts."""

from __future__ import annotations

from moderation.settings import TopicNames
from moderation.worker.topics import copartition_problem

TOPICS = TopicNames()


def test_matching_or_missing_partition_counts_are_fine() -> None:
    assert copartition_problem(TOPICS, {}) is None
    assert copartition_problem(TOPICS, {TOPICS.finalize_events: 4}) is None
    assert (
        copartition_problem(TOPICS, {TOPICS.finalize_events: 4, TOPICS.finalize_state: 4}) is None
    )


def test_a_mismatch_names_both_topics_and_the_fix() -> None:
    problem = copartition_problem(TOPICS, {TOPICS.finalize_events: 8, TOPICS.finalize_state: 4})
    assert problem is not None
    assert TOPICS.finalize_events in problem
    assert f"recreate {TOPICS.finalize_state} with 8" in problem


def test_an_appeal_topics_mismatch_is_found_too() -> None:
    counts = {TOPICS.finalize_events: 4, TOPICS.finalize_state: 4}
    counts |= {TOPICS.appeal_events: 4, TOPICS.appeal_state: 2}
    problem = copartition_problem(TOPICS, counts)
    assert problem is not None
    assert f"recreate {TOPICS.appeal_state} with 4" in problem


def test_the_state_topics_are_the_only_compacted_ones() -> None:
    assert TOPICS.compacted() == (TOPICS.finalize_state, TOPICS.appeal_state)
    assert set(TOPICS.compacted()) <= set(TOPICS.all())
