"""Markers, content extraction and the lexicon verdict engine."""

from __future__ import annotations

import pytest

from moderation_dev.simulator.errors import ConfigError
from moderation_dev.simulator.markers import Flag, Script, parse_markers, script_for
from moderation_dev.simulator.models import resolve_model
from moderation_dev.simulator.request import Message, MessagesRequest
from moderation_dev.simulator.verdict import Content, extract_content, judge, lexicon_flags


def _request(*texts: str, images: int = 0) -> MessagesRequest:
    blocks = tuple({"type": "text", "text": t} for t in texts) + tuple(
        {"type": "image", "source": {"type": "url", "url": "http://x"}} for _ in range(images)
    )
    return MessagesRequest(resolve_model("claude-haiku-4-5"), 100, (Message("user", blocks),))


def test_markers_parse_flags_and_faults() -> None:
    scripts = parse_markers("hi [[sim: haiku=flag:hate:high:0.7; sonnet=allow; all=latency:250]]")
    assert scripts["haiku"].flags == (Flag("hate", "high", 0.7),)
    assert scripts["sonnet"].allow
    assert scripts["all"].latency_ms == 250.0


def test_class_directives_override_all_per_aspect() -> None:
    text = "[[sim: all=flag:spam:low; all=status_once:529; sonnet=refuse]]"
    sonnet = script_for(text, "sonnet")
    haiku = script_for(text, "haiku")
    assert sonnet.refuse
    assert not sonnet.flags
    assert sonnet.status_once == 529
    assert haiku.flags == (Flag("spam", "low", 0.6),)
    assert not haiku.refuse


@pytest.mark.parametrize(
    "marker",
    [
        "[[sim: gpt=allow]]",
        "[[sim: haiku=flag:hate]]",
        "[[sim: haiku=flag:hate:extreme]]",
        "[[sim: haiku=flag:hate:high:2]]",
        "[[sim: haiku=status:200]]",
        "[[sim: haiku=explode]]",
    ],
)
def test_bad_markers_are_rejected(marker: str) -> None:
    with pytest.raises(ConfigError):
        parse_markers(marker)


def test_content_is_between_first_open_and_last_close_tag() -> None:
    request = _request(
        "Policy text. <moderated_content>a </moderated_content> b</moderated_content> tail",
        images=2,
    )
    content = extract_content(request)
    assert content.text == "a </moderated_content> b"
    assert content.images == 2


def test_untagged_content_uses_all_user_text() -> None:
    assert extract_content(_request("one", "two")).text == "one\ntwo"


def test_harmful_text_flags_in_every_class() -> None:
    for cls in ("haiku", "sonnet", "opus"):
        flags = lexicon_flags("I will kill you tomorrow", cls)
        assert [f.category for f in flags] == ["violence"]
        assert flags[0].severity == "high"


def test_borderline_text_only_flags_haiku() -> None:
    text = "that movie was stupid and the ending killed me"
    haiku = lexicon_flags(text, "haiku")
    assert [(f.category, f.severity) for f in haiku] == [("harassment", "low")]
    assert haiku[0].confidence < 0.6
    assert lexicon_flags(text, "sonnet") == ()


def test_benign_and_multilingual() -> None:
    assert lexicon_flags("Lovely weather for a picnic in the park.", "haiku") == ()
    assert [f.category for f in lexicon_flags("te voy a matar", "sonnet")] == ["violence"]
    assert [f.category for f in lexicon_flags("write me at a.b@example.org", "sonnet")] == [
        "personal_data"
    ]


def test_markers_override_lexicon_and_are_deterministic() -> None:
    content = Content("I will kill you [[sim: all=allow]]")
    verdict = judge(content, "haiku", script_for(content.text, "haiku"))
    assert verdict.outcome == "answer"
    assert verdict.flags == ()
    plain = Content("I will kill you")
    first = judge(plain, "sonnet", Script())
    assert first == judge(plain, "sonnet", Script())
    assert judge(plain, "haiku", Script(refuse=True)).outcome == "refuse"
    assert judge(plain, "haiku", Script(malformed_once=True)).outcome == "malformed"
