"""HTML rendering: Jinja2 with autoescaping everywhere, and hostile text made inert and visible.

Moderated content is hostile. Every value is HTML-escaped by the template engine; on top of that,
``inert`` shows invisible and direction-changing characters (bidi overrides, zero-width marks) as
visible ``U+XXXX`` badges so they can neither reorder the page nor hide text from the reviewer.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

TEMPLATES: Final = Path(__file__).resolve().parent / "templates"

_INVISIBLE: Final = re.compile(
    "[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def _badge(match: re.Match[str]) -> str:
    char = match.group(0)
    name = unicodedata.name(char, "format character")
    return f'<span class="ctl" title="{escape(name)}">U+{ord(char):04X}</span>'


def inert(value: object) -> Markup:
    """Escaped text with invisible/bidi control characters shown as badges."""
    escaped = str(escape("" if value is None else str(value)))
    return Markup(_INVISIBLE.sub(_badge, escaped))  # noqa: S704 - input escaped on the line above


def when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def age(value: datetime | None, now: datetime | None = None) -> str:
    """Compact age such as 3m, 5h, 2d."""
    if value is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{sign}{seconds // size}{unit}"
    return f"{sign}{seconds}s"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["inert"] = inert
    env.filters["when"] = when
    env.filters["age"] = age
    return env


def render(env: Environment, name: str, **context: Any) -> str:
    return env.get_template(name).render(**context)
