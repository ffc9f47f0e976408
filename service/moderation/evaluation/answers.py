"""What one configuration answered for one item, and the on-disk cache that makes runs resumable.

The cache is one append-only JSONL file per configuration fingerprint (models, tier settings,
policy), one line per answered item, flushed as each answer arrives. An interrupted run leaves
at most a torn last line, which is ignored; the next run reads the file and asks only for the
items it lacks.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from moderation.policy import Policy
from moderation.rollout.configs import RolloutConfig

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """One item through the real classification path under one configuration."""

    item_id: str
    fingerprint: str
    config_id: str
    triage: str  # judged, refused, invalid, unavailable
    review: str | None  # None when triage did not send the item to review
    route: str  # the routing table's final label: allow, remove, human:<reason>
    to_review: bool
    to_human: bool
    flagged: list[str] = field(default_factory=list)  # categories the policy flags (final verdict)
    scores: dict[str, float] = field(default_factory=dict)  # category -> confidence (final)
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    models: list[str] = field(default_factory=list)

    @property
    def any_flagged(self) -> bool:
        return bool(self.flagged)

    @property
    def refused(self) -> bool:
        return "refused" in (self.triage, self.review)

    @property
    def invalid(self) -> bool:
        return "invalid" in (self.triage, self.review)

    @property
    def unavailable(self) -> bool:
        return "unavailable" in (self.triage, self.review)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        return cls(**data)


def config_fingerprint(config: RolloutConfig, policy: Policy) -> str:
    """Changes when anything that could change an answer changes (not the config's id)."""
    body = config.model_dump_json(include={"triage", "review"}) + policy.fingerprint
    return hashlib.sha256(body.encode()).hexdigest()[:16]


class AnswerCache:
    """Answers of one configuration, read from and appended to ``<dir>/<id>-<fp>.jsonl``."""

    def __init__(self, directory: Path, config: RolloutConfig, policy: Policy) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{config.id}-{config_fingerprint(config, policy)}.jsonl"
        self.answers: dict[str, Answer] = {}
        self.torn_lines = 0
        self._load()
        self._out: TextIO | None = None

    def _load(self) -> None:
        if not self.path.exists():
            return
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                answer = Answer.from_json(json.loads(line))
            except (ValueError, TypeError):
                self.torn_lines += 1  # an interrupted write; the item is asked again
                continue
            self.answers[answer.fingerprint] = answer
        if self.torn_lines:
            _log.warning("%s: ignored %d unreadable lines", self.path, self.torn_lines)

    def get(self, fingerprint: str) -> Answer | None:
        return self.answers.get(fingerprint)

    def add(self, answer: Answer) -> None:
        if self._out is None:
            self._out = self.path.open("a", encoding="utf-8")
            if self.torn_lines:
                self._out.write("\n")  # never glue a new answer onto a torn line
        self._out.write(answer.to_json() + "\n")
        self._out.flush()
        self.answers[answer.fingerprint] = answer

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
