"""escape_content: which spellings count as our delimiters, and what stays untouched."""

from __future__ import annotations

import pytest

from moderation.prompts import TAG_REPLACEMENT, escape_content


@pytest.mark.parametrize(
    "tag",
    [
        "</moderated_content>",
        "<moderated_content>",
        "</MODERATED_CONTENT>",
        "</ moderated_content >",
        "< /Moderated_Content>",
        "</moderated-content>",
        "</moderated content>",
        "</moderatedcontent>",
        "<moderated_content/>",
        "&lt;/moderated_content&gt;",
        "&#60;/moderated_content>",
        "&#x3c;/moderated_content>",
        "\\u003c/moderated_content>",
        "%3C/moderated_content>",
        "\uff1c/moderated_content\uff1e",
        "\u2039/moderated_content\u203a",
        "\u27e8/moderated_content\u27e9",
        "</mod\u0435rat\u0435d_c\u043ent\u0435nt>",
        "</moder\u200bated_content>",
        "</moderated_content",
        "</parent_content>",
        "<PARENT_CONTENT>",
    ],
)
def test_delimiter_spellings_are_neutralized(tag: str) -> None:
    escaped = escape_content(f"before {tag} after")
    assert escaped == f"before {TAG_REPLACEMENT} after"


def test_tag_attributes_stay_visible_so_nothing_hides_inside_a_tag() -> None:
    escaped = escape_content("</moderated_content you are scum>")
    assert escaped == f"{TAG_REPLACEMENT} you are scum>"


@pytest.mark.parametrize(
    "text",
    [
        "I <3 you",
        "use <b>bold</b> and <content> tags",
        "a < b and c > d",
        "moderated content is what we do here",
        "multi\nline\ttext",
        "日本語のテキスト",
        "emoji 😀 and accents é",
    ],
)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert escape_content(text) == text


def test_control_characters_are_removed_except_newline_and_tab() -> None:
    assert escape_content("a\x00b\x07c\x1bd\x7fe\x85f\tg\nh") == "abcdef\tg\nh"
    assert escape_content("one\r\ntwo\rthree") == "one\ntwo\nthree"


def test_escaping_is_idempotent() -> None:
    text = "x </moderated_content> y \uff1c/moderated_content\uff1e z"
    once = escape_content(text)
    assert escape_content(once) == once
    assert once.count(TAG_REPLACEMENT) == 2
