"""Chaos accounting: what is terminal per route, stalled vs lost, duplicates, recovery."""

from __future__ import annotations

from loadtest.chaos.ledger import Faults, Ledger, Stage, figures, stalled_items
from loadtest.chaos.report import details, other_dead_letters, table
from loadtest.chaos.run import ChaosConfig

S = 1000  # ms
MINUTE = 60 * S
FAULTS = Faults(kill_ms=10 * S, worker_back_ms=30 * S)


def ledger_with(*items: tuple[str, str, int]) -> Ledger:
    made = Ledger()
    for cid, route, at in items:
        made.sent(cid, route, at)
    return made


def test_only_final_decisions_and_the_items_own_dead_letters_are_terminal() -> None:
    made = ledger_with(("a", "allow", 0), ("r", "review_clear", 0), ("h", "human", 0))
    made.sent("d", "allow", 0)
    made.decision("a", final=True, at_ms=S)
    made.decision("r", final=False, at_ms=S)  # pending_review
    made.decision("h", final=False, at_ms=S)
    made.task("h")
    made.answered("h")
    made.dead_letter("h", "no_open_task", of_answer=True, at_ms=2 * S)  # the answer rejected
    made.dead_letter("d", "item_deadline", of_answer=False, at_ms=2 * S)
    assert sorted(made.waiting()) == ["h", "r"]
    assert made.stage == {
        "a": Stage.SENT,
        "r": Stage.PENDING,
        "h": Stage.REJECTED,
        "d": Stage.SENT,
    }
    made.decision("r", final=True, at_ms=3 * S)
    made.decision("h", final=True, at_ms=3 * S)  # e.g. a later answer finalized it
    assert made.waiting() == []
    result = figures(made, FAULTS, MINUTE, {})
    assert result.no_open_task == 1
    assert result.rejected_answers == {"no_open_task": 1}
    assert result.terminal_dead_letters == {"item_deadline": 1}


def test_an_items_stage_never_goes_back() -> None:
    made = ledger_with(("h", "human", 0))
    made.answered("h")
    made.task("h")  # a re-delivered task read after the answer
    made.decision("h", final=False, at_ms=S)
    assert made.stage["h"] is Stage.ANSWERED


def test_the_deadline_counts_from_the_later_of_the_faults_end_and_the_send() -> None:
    faults = Faults(
        kill_ms=10 * S, worker_back_ms=30 * S, broker_stop_ms=40 * S, broker_back_ms=50 * S
    )
    made = ledger_with(("early", "allow", 5 * S), ("late", "allow", 70 * S))
    assert faults.settled_ms == 50 * S
    assert made.deadline_ms("early", faults, MINUTE) == 110 * S
    assert made.deadline_ms("late", faults, MINUTE) == 130 * S


def test_late_items_are_stalled_and_missing_ones_are_also_lost() -> None:
    made = ledger_with(("ok", "allow", 0), ("slow", "human", 0), ("gone", "human", 0))
    made.decision("ok", final=True, at_ms=89 * S)  # deadline: 30 s + 60 s
    made.decision("slow", final=True, at_ms=91 * S)
    assert stalled_items(made, FAULTS, MINUTE) == ["slow", "gone"]
    result = figures(made, FAULTS, MINUTE, {"slow": Stage.ANSWERED, "gone": Stage.REJECTED})
    assert (result.stalled, result.lost, result.terminal) == (2, 1, 2)
    assert result.stalled_by_route == {"human": 2}
    assert result.stuck_at == {"answered": 1, "answer_rejected": 1}


def test_duplicates_are_terminal_records_beyond_the_first() -> None:
    made = ledger_with(("a", "allow", 0), ("b", "allow", 0), ("c", "allow", 0))
    made.decision("a", final=True, at_ms=S)
    made.decision("a", final=True, at_ms=2 * S)
    made.decision("b", final=True, at_ms=S)
    made.dead_letter("b", "item_deadline", of_answer=False, at_ms=2 * S)
    made.decision("c", final=True, at_ms=S)
    made.decision("c", final=False, at_ms=S)  # a pending copy is no terminal record
    result = figures(made, FAULTS, MINUTE, {})
    assert result.duplicates == 2
    assert made.first_terminal("a") == S


def test_recovery_is_until_every_item_sent_before_the_fault_is_terminal() -> None:
    faults = Faults(
        kill_ms=10 * S, worker_back_ms=20 * S, broker_stop_ms=30 * S, broker_back_ms=35 * S
    )
    made = ledger_with(("done", "allow", 2 * S), ("inflight", "allow", 9 * S))
    made.sent("after", "allow", 12 * S)
    made.decision("done", final=True, at_ms=3 * S)
    made.decision("inflight", final=True, at_ms=44 * S)
    made.decision("after", final=True, at_ms=60 * S)  # sent after the kill: not counted
    result = figures(made, faults, MINUTE, {})
    assert (result.recovery_s, result.recovery_complete) == (34.0, True)
    assert (result.broker_recovery_s, result.broker_recovery_complete) == (30.0, True)
    # "after" was sent before the broker stopped, so it counts there


def test_recovery_says_when_an_item_from_before_the_fault_never_ended() -> None:
    made = ledger_with(("stuck", "human", 5 * S), ("slow", "allow", 6 * S))
    made.decision("slow", final=True, at_ms=25 * S)
    result = figures(made, FAULTS, MINUTE, {"stuck": Stage.TASK})
    assert (result.recovery_s, result.recovery_complete) == (15.0, False)
    assert result.broker_recovery_s is None  # no broker restart in this run


def test_dead_letters_without_an_id_are_counted_apart() -> None:
    made = ledger_with(("a", "allow", 0))
    made.dead_letter(None, "invalid_json", of_answer=False, at_ms=S)
    assert made.unattributed_dead_letters == 1
    assert made.waiting() == ["a"]


def test_every_third_run_restarts_the_broker() -> None:
    config = ChaosConfig(broker_every=3)
    assert [n for n in range(1, 10) if config.restarts_broker(n)] == [3, 6, 9]
    assert not any(ChaosConfig(broker_every=0).restarts_broker(n) for n in range(1, 10))


def _result(run: int, **figures_: object) -> dict[str, object]:
    base: dict[str, object] = {
        "run": run,
        "items": 300,
        "broker_restarted": False,
        "kill_at_s": 5.0,
        "worker_ready_after_kill_s": 31.0,
        "lost": 0,
        "stalled": 0,
        "duplicates": 0,
        "no_open_task": 0,
        "rejected_answers": {},
        "terminal_dead_letters": {},
        "stuck_at": {},
        "stalled_by_route": {},
        "recovery_s": 40.0,
        "recovery_complete": True,
        "broker_recovery_s": None,
        "broker_recovery_complete": None,
        "livez_failures": 0,
        "wall_s": 90.0,
        "workdir": "w",
    }
    return base | figures_


def test_the_table_says_pass_only_without_loss_or_stall() -> None:
    good = [_result(1), _result(2, duplicates=3, recovery_s=52.5)]
    text = table(good)
    assert text.splitlines()[-1].endswith("PASS")
    assert "worst recovery 52.5 s" in text
    bad = [
        *good,
        _result(
            3,
            stalled=2,
            stalled_by_route={"human": 2},
            no_open_task=2,
            rejected_answers={"no_open_task": 2},
            stuck_at={"answer_rejected": 2},
        ),
    ]
    text = table(bad)
    assert text.splitlines()[-1].endswith("FAIL (runs 3)")
    assert "some sent before the fault never did" not in text
    assert "40.0*" in table([_result(4, recovery_complete=False)])
    assert "run 3: stalled by route: human 2; stuck at the deadline: answer_rejected 2" in text


def test_other_dead_letters_leave_out_no_open_task() -> None:
    result = _result(
        1,
        rejected_answers={"no_open_task": 4, "task_mismatch": 1},
        terminal_dead_letters={"item_deadline": 2},
    )
    assert other_dead_letters(result) == 3
    line = details(result)
    assert line is not None
    assert "item_deadline 2, no_open_task 4, task_mismatch 1" in line
    assert details(_result(2)) is None
