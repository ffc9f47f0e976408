"""The deterministic verdict engine: what a model class decides about one piece of content.

Markers script the outcome; otherwise the lexicon decides. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from moderation_dev.simulator import lexicon
from moderation_dev.simulator.markers import Flag, Script, Severity, strip_markers
from moderation_dev.simulator.models import ModelClass
from moderation_dev.simulator.request import MessagesRequest

OPEN_TAG = "<moderated_content>"
CLOSE_TAG = "</moderated_content>"
Outcome = Literal["answer", "refuse", "malformed"]
_RANK: dict[Severity, int] = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class Verdict:
    """A model class's judgement: flagged categories (empty = clean) or a failure mode."""

    outcome: Outcome
    flags: tuple[Flag, ...] = ()
    rationale: str = ""


@dataclass(frozen=True)
class Content:
    """The moderated content of a request: its text and how many images came with it."""

    text: str
    images: int = 0

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.images}:{self.text}".encode()).hexdigest()


def extract_content(request: MessagesRequest) -> Content:
    """The text between the first opening tag and the last closing tag of the last user turn
    (all of its text when there are no tags), plus the number of images in that turn."""
    user_turns = [m for m in request.messages if m.role == "user"]
    if not user_turns:
        return Content("")
    turn = user_turns[-1]
    parts = [str(b.get("text", "")) for b in turn.blocks if b.get("type") == "text"]
    images = sum(1 for b in turn.blocks if b.get("type") == "image")
    text = "\n".join(parts)
    start = text.find(OPEN_TAG)
    end = text.rfind(CLOSE_TAG)
    if start >= 0 and end > start:
        text = text[start + len(OPEN_TAG) : end]
    return Content(text, images)


_Harmful = tuple[tuple[str, Severity, re.Pattern[str]], ...]
_Borderline = tuple[tuple[str, re.Pattern[str]], ...]


@cache
def _patterns() -> tuple[_Harmful, _Borderline]:
    harmful = tuple(
        (category, severity, lexicon.phrase_pattern(phrase))
        for category, entries in lexicon.HARMFUL.items()
        for phrase, severity in entries
    )
    borderline = tuple(
        (category, lexicon.phrase_pattern(word))
        for category, words in lexicon.BORDERLINE.items()
        for word in words
    )
    return harmful, borderline


def _jitter(text: str, model_class: ModelClass, category: str) -> float:
    """A stable value in [0, 0.04) so confidences vary a little between items."""
    digest = hashlib.sha256(f"{model_class}|{category}|{text}".encode()).digest()
    return digest[0] / 256 * 0.04


def lexicon_flags(text: str, model_class: ModelClass) -> tuple[Flag, ...]:
    """Flags the lexicon raises for this text and model class, worst severity per category."""
    harmful, borderline = _patterns()
    hits: dict[str, list[Severity]] = {}
    for category, severity, pattern in harmful:
        if pattern.search(text):
            hits.setdefault(category, []).append(severity)
    for pattern_pd, severity in lexicon.PERSONAL_DATA:
        if pattern_pd.search(text):
            hits.setdefault("personal_data", []).append(severity)
    flags: list[Flag] = []
    for category, severities in hits.items():
        worst = max(severities, key=lambda s: _RANK[s])
        base = {"low": 0.7, "medium": 0.82, "high": 0.9}[worst]
        bonus = 0.03 if model_class != "haiku" else 0.0
        confidence = min(0.99, base + bonus + 0.02 * (len(severities) - 1))
        flags.append(
            Flag(category, worst, round(confidence + _jitter(text, model_class, category), 3))
        )
    if model_class == "haiku":
        border_hits: dict[str, int] = {}
        for category, pattern in borderline:
            if category not in hits and pattern.search(text):
                border_hits[category] = border_hits.get(category, 0) + 1
        for category, count in border_hits.items():
            level: Severity = "low" if count == 1 else "medium"
            confidence = 0.45 + 0.05 * min(count - 1, 2) + _jitter(text, model_class, category)
            flags.append(Flag(category, level, round(confidence, 3)))
    return tuple(sorted(flags, key=lambda f: f.category))


def _rationale(flags: tuple[Flag, ...], source: str) -> str:
    if not flags:
        return f"No policy violation found ({source})."
    listed = ", ".join(f"{f.category} ({f.severity})" for f in flags)
    return f"Content matches: {listed} ({source})."


def judge(content: Content, model_class: ModelClass, script: Script) -> Verdict:
    """The verdict for one content and model class; markers win over the lexicon.

    ``malformed_once`` is resolved by the caller (it needs per-content memory); here it
    counts as malformed."""
    if script.refuse:
        return Verdict("refuse")
    if script.malformed or script.malformed_once:
        return Verdict("malformed")
    if script.allow and not script.flags:
        return Verdict("answer", (), _rationale((), "scripted"))
    if script.flags:
        return Verdict("answer", script.flags, _rationale(script.flags, "scripted"))
    flags = lexicon_flags(strip_markers(content.text), model_class)
    return Verdict("answer", flags, _rationale(flags, "lexicon"))
