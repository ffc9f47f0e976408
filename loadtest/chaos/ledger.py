"""What one chaos run saw, per item, and the figures it adds up to. Pure: no I/O, no clock.

What ends an item ("terminal"), per route:

- every route: a decision with ``final: true`` (``allowed`` or ``removed``, decided by any
  tier: ``haiku``, ``sonnet``, ``human`` or ``fallback``);
- every route: a dead letter for the item's own processing (its request or its review
  request): the service gave up on it visibly, with the original bytes;
- ``pending_review`` (``final: false``) is not terminal: a final decision must follow;
- a human-review task is not terminal either: the scripted reviewer answers every task, so a
  human-routed item ends with the ``human`` final decision made from that answer;
- a dead letter of the reviewer's answer (source topic = human decisions, e.g.
  ``no_open_task``) is not terminal: the answer was rejected and the item stays pending. It is
  counted by error code (``no_open_task`` is shown on its own) and the item is then stalled.

Stalled: an item whose first terminal record came later than its deadline, or never. The
deadline is ``stall_after`` after the later of (a) the moment every fault of the run was over
(the restarted worker ready again; the restarted broker answering again) and (b) the item's
own send time. Lost: an item with no terminal record at the end of the run, even after the
workers were restarted afresh (the "sweep", done only when something stalled). Lost items are
stalled too. Duplicates: terminal records beyond the first for an item (at-least-once
delivery; reported, not a failure).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum


class Stage(StrEnum):
    """The furthest non-terminal point an item reached (where a stalled item is stuck)."""

    SENT = "no_output"
    PENDING = "pending_review"
    TASK = "human_task"
    ANSWERED = "answered"
    REJECTED = "answer_rejected"


_ORDER = list(Stage)


@dataclass(frozen=True)
class Faults:
    """When this run's faults happened, in epoch milliseconds."""

    kill_ms: int
    worker_back_ms: int
    broker_stop_ms: int | None = None
    broker_back_ms: int | None = None

    @property
    def settled_ms(self) -> int:
        """When every fault was over: the stall deadline counts from here."""
        return max(self.worker_back_ms, self.broker_back_ms or 0)


@dataclass
class Ledger:
    """Every record the run read, reduced to what the figures need."""

    sent_ms: dict[str, int] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)
    terminal_ms: dict[str, list[int]] = field(default_factory=dict)
    stage: dict[str, Stage] = field(default_factory=dict)
    terminal_dead_letters: Counter[str] = field(default_factory=Counter)
    rejected_answers: Counter[str] = field(default_factory=Counter)
    unattributed_dead_letters: int = 0
    tasks: int = 0

    def sent(self, content_id: str, route: str, at_ms: int) -> None:
        self.sent_ms[content_id] = at_ms
        self.routes[content_id] = route
        self._reach(content_id, Stage.SENT)

    def decision(self, content_id: str, final: bool, at_ms: int) -> None:
        if final:
            self._terminal(content_id, at_ms)
        else:
            self._reach(content_id, Stage.PENDING)

    def task(self, content_id: str) -> None:
        self.tasks += 1
        self._reach(content_id, Stage.TASK)

    def answered(self, content_id: str) -> None:
        self._reach(content_id, Stage.ANSWERED)

    def dead_letter(self, content_id: str | None, code: str, of_answer: bool, at_ms: int) -> None:
        """A dead letter; ``of_answer`` when it holds a reviewer's answer (not terminal)."""
        if of_answer:
            self.rejected_answers[code] += 1
            if content_id is not None:
                self._reach(content_id, Stage.REJECTED)
            return
        if content_id is None:
            self.unattributed_dead_letters += 1
            return
        self.terminal_dead_letters[code] += 1
        self._terminal(content_id, at_ms)

    def first_terminal(self, content_id: str) -> int | None:
        times = self.terminal_ms.get(content_id)
        return min(times) if times else None

    def waiting(self) -> list[str]:
        """Items sent that have no terminal record yet."""
        return [cid for cid in self.sent_ms if cid not in self.terminal_ms]

    def deadline_ms(self, content_id: str, faults: Faults, stall_after_ms: int) -> int:
        return max(self.sent_ms[content_id], faults.settled_ms) + stall_after_ms

    def _terminal(self, content_id: str, at_ms: int) -> None:
        self.terminal_ms.setdefault(content_id, []).append(at_ms)

    def _reach(self, content_id: str, stage: Stage) -> None:
        known = self.stage.get(content_id)
        if known is None or _ORDER.index(stage) > _ORDER.index(known):
            self.stage[content_id] = stage


@dataclass(frozen=True)
class Figures:
    """One run's result line."""

    items: int
    terminal: int
    lost: int
    stalled: int
    duplicates: int
    no_open_task: int
    rejected_answers: dict[str, int]
    terminal_dead_letters: dict[str, int]
    stuck_at: dict[str, int]
    stalled_by_route: dict[str, int]
    recovery_s: float
    recovery_complete: bool
    broker_recovery_s: float | None
    broker_recovery_complete: bool | None


def _recovery(ledger: Ledger, since_ms: int) -> tuple[float, bool]:
    """Seconds from ``since_ms`` until every item sent before it that ended had a terminal
    record, and whether all of them ended."""
    latest, complete = since_ms, True
    for cid, sent in ledger.sent_ms.items():
        if sent > since_ms:
            continue
        first = ledger.first_terminal(cid)
        if first is None:
            complete = False
        else:
            latest = max(latest, first)
    return round((latest - since_ms) / 1000, 1), complete


def stalled_items(ledger: Ledger, faults: Faults, stall_after_ms: int) -> list[str]:
    """Items whose first terminal record is missing or later than their deadline."""
    late = []
    for cid in ledger.sent_ms:
        first = ledger.first_terminal(cid)
        if first is None or first > ledger.deadline_ms(cid, faults, stall_after_ms):
            late.append(cid)
    return late


def figures(
    ledger: Ledger, faults: Faults, stall_after_ms: int, stuck: dict[str, Stage]
) -> Figures:
    """The run's figures; ``stuck`` is where each item without a terminal record stood at its
    deadline (before any sweep)."""
    stalled = stalled_items(ledger, faults, stall_after_ms)
    recovery_s, recovery_complete = _recovery(ledger, faults.kill_ms)
    broker_recovery_s: float | None = None
    broker_complete: bool | None = None
    if faults.broker_stop_ms is not None:
        broker_recovery_s, broker_complete = _recovery(ledger, faults.broker_stop_ms)
    return Figures(
        items=len(ledger.sent_ms),
        terminal=sum(1 for cid in ledger.sent_ms if cid in ledger.terminal_ms),
        lost=len(ledger.waiting()),
        stalled=len(stalled),
        duplicates=sum(len(times) - 1 for times in ledger.terminal_ms.values()),
        no_open_task=ledger.rejected_answers.get("no_open_task", 0),
        rejected_answers=dict(ledger.rejected_answers),
        terminal_dead_letters=dict(ledger.terminal_dead_letters),
        stuck_at=dict(Counter(str(stage) for stage in stuck.values())),
        stalled_by_route=dict(Counter(ledger.routes[cid] for cid in stalled)),
        recovery_s=recovery_s,
        recovery_complete=recovery_complete,
        broker_recovery_s=broker_recovery_s,
        broker_recovery_complete=broker_complete,
    )
