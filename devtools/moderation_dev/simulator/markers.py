"""Content markers that script the simulator's outcome per item and model class.

Syntax inside the moderated content: ``[[sim: <class>=<action>; ...]]`` with class in
{haiku, sonnet, opus, all}. Directives for a specific class replace those for ``all`` aspect
by aspect (verdict, status, latency, drop). Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from moderation_dev.simulator.errors import ConfigError
from moderation_dev.simulator.models import ModelClass

Severity = Literal["low", "medium", "high"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high")
DEFAULT_CONFIDENCE: dict[Severity, float] = {"low": 0.6, "medium": 0.8, "high": 0.95}
MARKER = re.compile(r"\[\[sim:(.*?)\]\]", re.DOTALL | re.IGNORECASE)
_CATEGORY = re.compile(r"^[a-z][a-z0-9_/-]{0,63}$")
_CLASSES = ("haiku", "sonnet", "opus", "all")


@dataclass(frozen=True)
class Flag:
    """One flagged category with its severity and confidence."""

    category: str
    severity: Severity
    confidence: float


@dataclass(frozen=True)
class Script:
    """What the markers ask of one model class (empty = nothing scripted)."""

    allow: bool = False
    flags: tuple[Flag, ...] = ()
    refuse: bool = False
    malformed: bool = False
    malformed_once: bool = False
    status: int | None = None
    status_once: int | None = None
    latency_ms: float | None = None
    drop: bool = False

    @property
    def has_verdict(self) -> bool:
        return (
            self.allow or bool(self.flags) or self.refuse or self.malformed or self.malformed_once
        )


def _flag(parts: list[str], directive: str) -> Flag:
    if len(parts) not in (3, 4):
        raise ConfigError(f"marker '{directive}': use flag:<category>:<severity>[:<confidence>]")
    category, severity = parts[1].strip().lower(), parts[2].strip().lower()
    if not _CATEGORY.match(category):
        raise ConfigError(f"marker '{directive}': bad category '{category}'")
    if severity not in SEVERITIES:
        raise ConfigError(f"marker '{directive}': severity must be low, medium or high")
    confidence = DEFAULT_CONFIDENCE[severity]
    if len(parts) == 4:
        try:
            confidence = float(parts[3])
        except ValueError:
            raise ConfigError(f"marker '{directive}': confidence must be a number") from None
        if not 0.0 <= confidence <= 1.0:
            raise ConfigError(f"marker '{directive}': confidence must be within [0, 1]")
    return Flag(category, severity, confidence)


def _status(value: str, directive: str) -> int:
    try:
        code = int(value)
    except ValueError:
        raise ConfigError(f"marker '{directive}': status must be an HTTP code") from None
    if not 400 <= code <= 599:
        raise ConfigError(f"marker '{directive}': status must be within 400-599")
    return code


def _apply(script: Script, action: str, directive: str) -> Script:
    parts = action.split(":")
    name = parts[0].strip().lower()
    arg = ":".join(parts[1:]).strip()
    if len(parts) == 1:
        if name == "allow":
            return replace(script, allow=True)
        if name == "refuse":
            return replace(script, refuse=True)
        if name == "malformed":
            return replace(script, malformed=True)
        if name == "malformed_once":
            return replace(script, malformed_once=True)
        if name == "drop":
            return replace(script, drop=True)
    if name == "flag":
        return replace(script, flags=(*script.flags, _flag(parts, directive)))
    if name == "status" and arg:
        return replace(script, status=_status(arg, directive))
    if name == "status_once" and arg:
        return replace(script, status_once=_status(arg, directive))
    if name == "latency" and arg:
        try:
            ms = float(arg)
        except ValueError:
            raise ConfigError(f"marker '{directive}': latency is milliseconds") from None
        if ms < 0:
            raise ConfigError(f"marker '{directive}': latency must not be negative")
        return replace(script, latency_ms=ms)
    raise ConfigError(
        f"marker '{directive}': unknown action; use allow, flag:<cat>:<sev>[:<conf>], refuse, "
        "malformed, malformed_once, status:<code>, status_once:<code>, latency:<ms> or drop"
    )


def parse_markers(text: str) -> dict[str, Script]:
    """Every class named in the markers of ``text`` with its script; raises ConfigError."""
    scripts: dict[str, Script] = {}
    for match in MARKER.finditer(text):
        for raw in match.group(1).split(";"):
            directive = raw.strip()
            if not directive:
                continue
            cls, sep, action = directive.partition("=")
            cls = cls.strip().lower()
            if not sep or cls not in _CLASSES:
                raise ConfigError(
                    f"marker '{directive}': use <class>=<action> with class haiku, sonnet, "
                    "opus or all"
                )
            scripts[cls] = _apply(scripts.get(cls, Script()), action, directive)
    return scripts


def script_for(text: str, model_class: ModelClass) -> Script:
    """The merged script for one model class: its own directives over those for ``all``."""
    scripts = parse_markers(text)
    general = scripts.get("all", Script())
    own = scripts.get(model_class, Script())
    verdict = own if own.has_verdict else general
    return Script(
        allow=verdict.allow,
        flags=verdict.flags,
        refuse=verdict.refuse,
        malformed=verdict.malformed,
        malformed_once=verdict.malformed_once,
        status=own.status if own.status is not None else general.status,
        status_once=own.status_once if own.status_once is not None else general.status_once,
        latency_ms=own.latency_ms if own.latency_ms is not None else general.latency_ms,
        drop=own.drop or general.drop,
    )


def strip_markers(text: str) -> str:
    """The text without its markers (what the lexicon reads)."""
    return MARKER.sub(" ", text)
