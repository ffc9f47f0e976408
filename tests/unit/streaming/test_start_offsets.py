"""Where a new consumer group starts: the pure plan behind ``--from``."""

from __future__ import annotations

from aiokafka import TopicPartition

from moderation.streaming.start_offsets import StartFrom, describe, plan_starts

T = "moderation.requests.v1"
P0, P1 = TopicPartition(T, 0), TopicPartition(T, 1)
END = {P0: 500, P1: 400}


def _plan(
    own: dict[TopicPartition, int],
    others: dict[str, dict[TopicPartition, int]],
    mode: StartFrom = StartFrom.COMMITTED,
) -> dict[int, tuple[int | None, bool]]:
    plan = plan_starts("app-triage", [P1, P0], own, others, END, mode)
    return {start.tp.partition: (start.offset, start.commit) for start in plan}  # fmt: skip


def test_fresh_cluster_starts_at_the_earliest_offset_in_every_mode_but_latest() -> None:
    assert _plan({}, {}) == {0: (None, False), 1: (None, False)}
    assert _plan({}, {}, StartFrom.EARLIEST) == {0: (None, False), 1: (None, False)}
    assert _plan({}, {}, StartFrom.LATEST) == {0: (500, True), 1: (400, True)}


def test_new_layout_copies_the_old_groups_commits() -> None:
    others = {"app-triage-review-finalize": {P0: 120, P1: 80}}
    assert _plan({}, others) == {0: (120, True), 1: (80, True)}


def test_the_furthest_group_wins_and_uncommitted_partitions_start_earliest() -> None:
    others = {"app-a": {P0: 120}, "app-b": {P0: 150}}
    plan = plan_starts("app-triage", [P0, P1], {}, others, END, StartFrom.COMMITTED)
    assert [(s.offset, s.reason) for s in plan] == [
        (150, "copied from app-b"),
        (None, "earliest: no group of this app read it"),
    ]


def test_own_commits_always_win() -> None:
    others = {"app-old": {P0: 300, P1: 300}}
    for mode in StartFrom:
        assert _plan({P0: 10, P1: 20}, others, mode) == {0: (10, False), 1: (20, False)}


def test_from_earliest_reads_history_again_and_latest_skips_it() -> None:
    others = {"app-old": {P0: 120, P1: 80}}
    assert _plan({}, others, StartFrom.EARLIEST) == {0: (None, False), 1: (None, False)}
    assert _plan({}, others, StartFrom.LATEST) == {0: (500, True), 1: (400, True)}


def test_the_log_line_names_group_topic_offsets_and_source() -> None:
    plan = plan_starts("app-triage", [P0, P1], {}, {"app-old": {P0: 7, P1: 9}}, END,
                       StartFrom.COMMITTED)  # fmt: skip
    assert describe("app-triage", plan) == [
        f"group app-triage starts {T} at p0@7 p1@9 (copied from app-old)"
    ]


async def test_a_fresh_clusters_loading_coordinator_is_waited_for_not_fatal() -> None:
    """A new broker answers GroupLoadInProgress / CoordinatorNotAvailable for a few seconds."""
    from aiokafka.errors import CoordinatorLoadInProgressError, CoordinatorNotAvailableError

    from moderation.streaming.start_offsets import _read_state_when_ready

    failures: list[Exception] = [
        CoordinatorNotAvailableError(),
        CoordinatorLoadInProgressError(),
    ]

    class Admin:
        async def describe_topics(self, topics: list[str]) -> list[dict[str, object]]:
            return [{"topic": "in", "error_code": 0, "partitions": [{"partition": 0}]}]

        async def list_consumer_group_offsets(self, name: str, partitions: object) -> dict:  # type: ignore[type-arg]
            return {}

        async def list_consumer_groups(self) -> list[tuple[str, str]]:
            if failures:
                raise failures.pop(0)
            return [("app-triage", "consumer")]

    partitions, own, others = await _read_state_when_ready(Admin(), "app-review", "app", ["in"])  # type: ignore[arg-type]
    assert failures == []
    assert [(tp.topic, tp.partition) for tp in partitions] == [("in", 0)]
    assert (own, others) == ({}, {})
