"""What happened to each published item, from the events seen on the output topics. Pure.

The orchestration feeds every decision, dead letter and human-review task it consumes into a
:class:`Ledger`; the progress line, the wait for terminal outcomes and the summary all read it.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from moderation_contracts import (
    DeadLetter,
    Decision,
    DecisionStatus,
    EscalationReason,
    HumanReviewTask,
    Tier,
)
from moderation_dev.demo.corpus import CorpusItem
from moderation_dev.demo.routes import DemoRoute

NO_OPEN_TASK = "no_open_task"
"""Finalize's dead-letter code for an answer that arrived before its task was registered."""
MAX_ANSWER_RETRIES = 5
FAILURE_CODES = frozenset({"internal_error", "deadline_exceeded"})
"""Dead-letter codes of a stage that failed (a bug or a stuck call), not of bad input."""


@dataclass
class ItemTrail:
    """Every event seen for one published item."""

    content_id: str
    kind: str
    expect: DemoRoute | None
    published_at: datetime | None = None
    pending: list[Decision] = field(default_factory=list)
    final: Decision | None = None
    dead_letter: DeadLetter | None = None
    tasks: list[HumanReviewTask] = field(default_factory=list)
    rejected_answers: int = 0

    @property
    def terminal(self) -> bool:
        """A final decision or a dead letter of the item itself ends its life."""
        return self.final is not None or self.dead_letter is not None

    @property
    def waiting_for_human(self) -> bool:
        return bool(self.tasks) and self.final is None

    def stage(self) -> str:
        """Where a non-terminal item was last seen, for the timeout message."""
        if self.terminal:
            return "done"
        if self.tasks:
            return "human review task open, no final decision yet"
        if self.pending:
            return "pending_review (at Sonnet), no final decision yet"
        if self.published_at is not None:
            return "published, nothing seen yet"
        return "not published"


def classify(trail: ItemTrail) -> DemoRoute:
    """The route an item took, judged from its events (first matching rule wins)."""
    final = trail.final
    if final is None:
        letter = trail.dead_letter
        if letter is None:
            return DemoRoute.UNKNOWN
        if letter.error_code in FAILURE_CODES or letter.stage not in (None, "triage"):
            return DemoRoute.PIPELINE_ERROR
        return DemoRoute.DEAD_LETTER
    if final.status is DecisionStatus.REJECTED:
        return DemoRoute.REJECTED
    refused_at_haiku = any((d.reason or "").startswith("haiku refused") for d in trail.pending)
    refused_at_sonnet = any(
        t.escalation_reason is EscalationReason.MODEL_REFUSED for t in trail.tasks
    )
    if refused_at_haiku or refused_at_sonnet:
        return DemoRoute.REFUSAL
    if any(tier.calls > 1 for tier in final.cost.tiers):
        return DemoRoute.RETRY
    unavailable = any(t.escalation_reason is EscalationReason.TIER_UNAVAILABLE for t in trail.tasks)
    if final.decided_by is Tier.FALLBACK or unavailable:
        return DemoRoute.FALLBACK
    if final.decided_by is Tier.HUMAN:
        return DemoRoute.HUMAN
    if final.decided_by is Tier.SONNET:
        if final.status is DecisionStatus.REMOVED:
            return DemoRoute.SONNET_REMOVES
        return DemoRoute.SONNET_CLEARS
    return DemoRoute.HAIKU_ALLOW


def _key_text(letter: DeadLetter) -> str | None:
    if letter.original_key_b64 is None:
        return None
    try:
        return base64.b64decode(letter.original_key_b64).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


class Ledger:
    """Per-item trails plus run-wide counters (duplicates, strays, answers given)."""

    def __init__(self, items: Iterable[CorpusItem], human_decisions_topic: str) -> None:
        self.trails: dict[str, ItemTrail] = {
            item.content_id: ItemTrail(item.content_id, item.kind, item.expect) for item in items
        }
        self._human_decisions_topic = human_decisions_topic
        self.duplicates = 0
        self.strays = 0
        self.dead_letters = 0
        self.answers = 0
        self.rejected_answer_codes: Counter[str] = Counter()

    def published(self, content_id: str, at: datetime) -> None:
        self.trails[content_id].published_at = at

    def _trail(self, content_id: str | None) -> ItemTrail | None:
        trail = self.trails.get(content_id) if content_id else None
        if trail is None:
            self.strays += 1
        return trail

    def decision(self, made: Decision) -> None:
        trail = self._trail(made.content_id)
        if trail is None:
            return
        if not made.final:
            if any(p.decided_by == made.decided_by for p in trail.pending):
                self.duplicates += 1
            else:
                trail.pending.append(made)
        elif trail.final is not None:
            self.duplicates += 1
        else:
            trail.final = made

    def dead_letter(self, letter: DeadLetter) -> HumanReviewTask | None:
        """Record a dead letter; one for a reviewer's answer leaves the item open.

        Returns the task to answer again when finalize had no open task yet (its task topic
        and the human-decisions topic are read independently, so an answer can overtake it).
        """
        self.dead_letters += 1
        trail = self._trail(letter.content_id or _key_text(letter))
        if trail is None:
            return None
        if letter.source_topic == self._human_decisions_topic:
            trail.rejected_answers += 1
            self.rejected_answer_codes[letter.error_code] += 1
            retry = (
                letter.error_code == NO_OPEN_TASK
                and not trail.terminal
                and bool(trail.tasks)
                and trail.rejected_answers <= MAX_ANSWER_RETRIES
            )
            return trail.tasks[-1] if retry else None
        if trail.dead_letter is not None:
            self.duplicates += 1
        else:
            trail.dead_letter = letter
        return None

    def task(self, task: HumanReviewTask) -> bool:
        """Record a review task; True when it is new and needs an answer."""
        trail = self._trail(task.request.content_id)
        if trail is None:
            return False
        if any(seen.task_id == task.task_id for seen in trail.tasks):
            self.duplicates += 1
            return False
        trail.tasks.append(task)
        return True

    @property
    def published_count(self) -> int:
        return sum(1 for t in self.trails.values() if t.published_at is not None)

    @property
    def decided_count(self) -> int:
        return sum(1 for t in self.trails.values() if t.final is not None)

    @property
    def pending_human_count(self) -> int:
        return sum(1 for t in self.trails.values() if t.waiting_for_human)

    def missing(self) -> list[ItemTrail]:
        """Items without a terminal outcome, in corpus order."""
        return [t for t in self.trails.values() if not t.terminal]

    def done(self) -> bool:
        return not self.missing()


MODEL_JUDGED = frozenset(
    {
        DemoRoute.HAIKU_ALLOW,
        DemoRoute.SONNET_CLEARS,
        DemoRoute.HUMAN,
        DemoRoute.REFUSAL,
        DemoRoute.RETRY,
        DemoRoute.SONNET_REMOVES,
    }
)
"""Routes on which a model answered; the fallback route means no model did."""


def only_fallbacks(ledger: Ledger) -> int:
    """How many items fell back when no item at all was judged by a model (else 0)."""
    routes = [classify(trail) for trail in ledger.trails.values() if trail.final is not None]
    if any(route in MODEL_JUDGED for route in routes):
        return 0
    return sum(1 for route in routes if route is DemoRoute.FALLBACK)
