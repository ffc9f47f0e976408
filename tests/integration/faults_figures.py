"""Figures for the fault-injection scenarios: inputs sent, outcomes by kind, duplicates, lost.

Each scenario prints its line and appends it to ``.run/fault-figures.txt``; the integration
conftest prints that file in the terminal summary, so CI logs show the figures without ``-s``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tests.integration.pipeline_harness import Outcomes

FIGURES_FILE = Path(__file__).resolve().parents[2] / ".run" / "fault-figures.txt"
_written_this_session = False


@dataclass(frozen=True)
class Figures:
    scenario: str
    inputs: int
    outcomes: dict[str, int]
    duplicates: int
    lost: tuple[str, ...]
    notes: str = ""

    def line(self) -> str:
        kinds = ", ".join(f"{kind}={count}" for kind, count in sorted(self.outcomes.items()))
        lost = f"{len(self.lost)}" + (f" {list(self.lost)[:5]}" if self.lost else "")
        notes = f" | {self.notes}" if self.notes else ""
        return (
            f"[faults] {self.scenario}: inputs={self.inputs} outcomes({kinds}) "
            f"duplicates={self.duplicates} lost={lost}{notes}"
        )


def figures(scenario: str, sent: Iterable[str], outcomes: Outcomes, notes: str = "") -> Figures:
    """Classify each sent key by its terminal outcome; a key with none is lost."""
    kinds: Counter[str] = Counter()
    lost: list[str] = []
    keys = list(sent)
    for key in keys:
        final = outcomes.final(key)
        letter = outcomes.dead_letter_for(key)
        if letter is not None and (final is None or final["status"] == "rejected"):
            kinds[f"dead_letter:{letter['error_code']}"] += 1  # a rejection comes with its letter
        elif final is not None:
            kinds[f"final:{final['status']}/{final['decided_by']}"] += 1
        elif outcomes.tasks.get(key):
            kinds[f"human_task:{outcomes.tasks[key][0]['escalation_reason']}"] += 1
        else:
            lost.append(key)
    extra_tasks = sum(max(0, len(tasks) - 1) for tasks in outcomes.tasks.values())
    return Figures(
        scenario, len(keys), dict(kinds), outcomes.duplicates() + extra_tasks, tuple(lost), notes
    )


def report(made: Figures) -> Figures:
    """Print the scenario's line and append it to the figures file (truncated once a session)."""
    global _written_this_session
    FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    mode = "a" if _written_this_session else "w"
    with FIGURES_FILE.open(mode, encoding="utf-8") as out:
        out.write(made.line() + "\n")
    _written_this_session = True
    print("\n" + made.line())
    return made


def written_this_session() -> bool:
    return _written_this_session
