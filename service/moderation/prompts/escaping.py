"""Delimiters around moderated content and the escaping that keeps content from closing them.

The content sits between ``<moderated_content>`` and ``</moderated_content>``. ``escape_content``
neutralizes anything in the text that a model (or the simulator) could read as one of our
delimiter tags, in any case, spacing, entity spelling, look-alike characters or with invisible
characters inside, and removes control characters other than newline and tab. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

CONTENT_OPEN: Final = "<moderated_content>"
CONTENT_CLOSE: Final = "</moderated_content>"
PARENT_OPEN: Final = "<parent_content>"
PARENT_CLOSE: Final = "</parent_content>"

TAG_REPLACEMENT: Final = "[delimiter removed]"
"""What a neutralized tag becomes; it has no angle bracket, so escaping is idempotent."""

# Characters that NFKC does not fold but that read as angle brackets or as letters of our
# tag names (Cyrillic and Greek look-alikes).
_LOOK_ALIKES: Final = {
    "\u2039": "<",  # single left-pointing angle quotation mark
    "\u203a": ">",
    "\u2329": "<",  # left-pointing angle bracket
    "\u232a": ">",
    "\u3008": "<",  # CJK angle brackets
    "\u3009": ">",
    "\u27e8": "<",  # mathematical angle brackets
    "\u27e9": ">",
    "\u1438": "<",  # Canadian syllabics pa / po
    "\u1433": ">",
    "\u02c2": "<",  # modifier letter arrowheads
    "\u02c3": ">",
    "\u0430": "a",
    "\u0441": "c",
    "\u0435": "e",
    "\u043e": "o",
    "\u0440": "p",
    "\u0442": "t",
    "\u043c": "m",
    "\u0501": "d",
    "\u0438": "n",
    "\u03bf": "o",
    "\u03b1": "a",
    "\u03b5": "e",
    "\u03c4": "t",
    "\u03f2": "c",
    "\u0131": "i",
}
_OPEN_BRACKET = r"(?:<|&lt;?|&#0*60;?|&#x0*3c;?|\\u003c|\\x3c|%3c)"
_TAG_NAMES = r"(?:moderated|parent)"
_TAG: Final = re.compile(
    _OPEN_BRACKET + r"[\s/\\!?]*" + _TAG_NAMES + r"[^a-z0-9<>]{0,3}content(?:[\s/]*(?:>|&gt;?))?",
)
"""A tag opener through its name; the rest of a tag with attributes stays, so no content hides."""
# C0 and C1 controls and DEL, except tab and newline (carriage returns become newlines first).
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _fold_char(char: str) -> str:
    mapped = _LOOK_ALIKES.get(char)
    if mapped is not None:
        return mapped
    if unicodedata.category(char) == "Cf":  # zero-width and bidi controls hide inside tags
        return ""
    return unicodedata.normalize("NFKC", char).casefold()


def _folded(text: str) -> tuple[str, list[int]]:
    """A lower-cased, look-alike-folded view of ``text`` and, per folded char, its origin."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for folded in _fold_char(char):
            chars.append(folded)
            origin.append(index)
    return "".join(chars), origin


def _neutralize_tags(text: str) -> str:
    folded, origin = _folded(text)
    spans = [(origin[m.start()], origin[m.end() - 1] + 1) for m in _TAG.finditer(folded)]
    if not spans:
        return text
    parts: list[str] = []
    cursor = 0
    for start, end in spans:
        if start < cursor:  # spans from one original char expanding into several
            start = cursor
        parts.append(text[cursor:start])
        parts.append(TAG_REPLACEMENT)
        cursor = max(cursor, end)
    parts.append(text[cursor:])
    return "".join(parts)


def escape_content(text: str) -> str:
    """``text`` made safe to place between the delimiters: it can neither close nor reopen
    them. Carriage returns become newlines; other control characters except tab are removed."""
    cleaned = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    # One pass suffices: the replacement has no bracket and no tag name, and replacing (rather
    # than deleting) never joins the text around a tag into a new one.
    return _neutralize_tags(cleaned)
