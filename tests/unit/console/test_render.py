"""Inert rendering of hostile text (the filter the item page uses)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from moderation.console.render import age, environment, inert


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('<img src=x onerror="alert(1)">', "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("&lt;b&gt; &#60;", "&amp;lt;b&amp;gt; &amp;#60;"),
        ("it's", "it&#39;s"),
    ],
)
def test_markup_is_escaped_once(hostile: str, shown: str) -> None:
    assert str(inert(hostile)) == shown


def test_bidi_overrides_and_zero_width_characters_become_visible_badges() -> None:
    shown = str(inert("abc\u202edef\u2066x\u2069\u200b\ufeff"))
    for code in ("U+202E", "U+2066", "U+2069", "U+200B", "U+FEFF"):
        assert f">{code}</span>" in shown
    assert not any(ch in shown for ch in "\u202e\u2066\u2069\u200b\ufeff")
    assert 'title="RIGHT-TO-LEFT OVERRIDE"' in shown


def test_none_renders_empty() -> None:
    assert str(inert(None)) == ""


def test_templates_autoescape_every_value() -> None:
    template = environment().from_string("<p>{{ value }}</p>")
    assert template.render(value="<b>x</b>") == "<p>&lt;b&gt;x&lt;/b&gt;</p>"


def test_age_is_compact() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert age(now - timedelta(seconds=42), now) == "42s"
    assert age(now - timedelta(hours=5, minutes=3), now) == "5h"
    assert age(now + timedelta(days=2), now) == "-2d"
