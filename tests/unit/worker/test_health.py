"""Readiness: each check on its own, and how the worker combines them."""

from __future__ import annotations

from dataclasses import dataclass, field

from moderation.worker.health import DependencyReadiness, IntakeReadiness, Readiness


@dataclass
class IntakeSnapshot:
    failed: BaseException | None = None
    paused_reason: str | None = None
    rebalancing: bool = False
    assignment: frozenset[object] = field(default_factory=lambda: frozenset({("t", 0), ("t", 1)}))


def test_an_intake_holding_partitions_is_ready() -> None:
    assert IntakeReadiness(IntakeSnapshot())() == (True, "2 partitions assigned")


def test_each_intake_state_that_takes_no_work_names_itself() -> None:
    cases = [
        (IntakeSnapshot(failed=RuntimeError("x")), "intake failed: RuntimeError"),
        (IntakeSnapshot(paused_reason="API key rejected"), "paused: API key rejected"),
        (IntakeSnapshot(rebalancing=True), "rebalancing"),
        (IntakeSnapshot(assignment=frozenset()), "no partitions assigned"),
    ]
    for snapshot, reason in cases:
        assert IntakeReadiness(snapshot)() == (False, reason)


def test_a_failure_outranks_a_pause_and_a_rebalance() -> None:
    snapshot = IntakeSnapshot(failed=ValueError(), paused_reason="p", rebalancing=True)
    assert IntakeReadiness(snapshot)() == (False, "intake failed: ValueError")


def test_a_dependency_is_ready_until_it_names_a_problem() -> None:
    problem: list[str] = []
    check = DependencyReadiness(lambda: problem[0] if problem else None)
    assert check() == (True, "")
    problem.append("model API unreachable")
    assert check() == (False, "model API unreachable")


def test_the_worker_is_ready_only_when_every_check_is() -> None:
    intake = IntakeSnapshot()
    problem: list[str] = []
    ready = Readiness(
        (IntakeReadiness(intake), DependencyReadiness(lambda: problem[0] if problem else None))
    )
    assert ready() == (True, "2 partitions assigned")
    problem.append("model API unreachable")
    assert ready() == (False, "model API unreachable")
    intake.rebalancing = True  # the first failing check names the reason
    assert ready() == (False, "rebalancing")


def test_no_checks_means_ready() -> None:
    assert Readiness(())() == (True, "ready")
