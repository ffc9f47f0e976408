"""Hostile content renders as inert text on the item page (the XSS corpus)."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient

from moderation.console.samples import sample_task
from tests.component.console.console_web_harness import Collector, Console, sign_in

Client = TestClient[object, object]

CORPUS = (
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<svg/onload=alert("x")>',
    '<a href="javascript:alert(1)">click</a>',
    "<iframe src=javascript:alert(1)></iframe>",
    '"><script>alert(document.cookie)</script>',
    "'; alert(1); //",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<style>body{display:none}</style>",
    "<meta http-equiv=refresh content=0;url=https://evil.example>",
    "<base href=https://evil.example/>",
    "<form action=https://evil.example><input name=csrf_token></form>",
    "{{ 7*7 }} {% raw %}",
    "user\u202egnp.exe",
    "\u2067hidden\u2069 and \u200bzero\u200dwidth \ufeff",
)


@pytest.mark.parametrize("hostile", CORPUS)
async def test_hostile_text_renders_as_text(console: Console, client: Client, hostile: str) -> None:
    console.add_tasks(sample_task(1, text=hostile, image_url="https://evil.example/a.png"))
    await sign_in(client, "rita")
    html = await (await client.get("/tasks/task-acme-1")).text()
    parser = Collector()
    parser.feed(html)
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert scripts == [[("src", "/static/console.js"), ("defer", None)]]
    assert not any(
        tag in ("img", "svg", "iframe", "style", "meta", "base")
        and any(v and "evil" in v for _, v in attrs)
        for tag, attrs in parser.tags
    )
    for tag, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").lower().startswith("javascript:"), (tag, name)
    assert [t for t, _ in parser.tags].count("form") == 2  # sign-out and the decision form
    assert [t for t, _ in parser.tags].count("meta") == 3  # charset, viewport, csrf-token
    # The text is all there, escaped once: entities stay visible as typed.
    text = re.search(r'<pre id="content-text"[^>]*>(.*?)</pre>', html, re.DOTALL)
    assert text is not None
    if "&lt;" in hostile:
        assert "&amp;lt;" in text.group(1)
    assert "49" not in text.group(1)  # no template evaluation of {{ 7*7 }}


async def test_bidi_and_invisible_characters_are_made_visible(
    console: Console, client: Client
) -> None:
    console.add_tasks(sample_task(1, text="user\u202egnp.exe \u2067x\u2069 a\u200bb"))
    await sign_in(client, "rita")
    html = await (await client.get("/tasks/task-acme-1")).text()
    for char in ("\u202e", "\u2067", "\u2069", "\u200b"):
        assert char not in html
    for code in ("U+202E", "U+2067", "U+2069", "U+200B"):
        assert f">{code}</span>" in html
