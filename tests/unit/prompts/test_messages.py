"""The user turn: images first, trusted metadata, the escaped content, the first verdict."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from anthropic.types import MessageParam

from moderation.prompts import CONTENT_CLOSE, CONTENT_OPEN, review_messages, triage_messages
from moderation_contracts import (
    Attachment,
    CategoryScore,
    ImageMediaType,
    ModerationRequest,
    RequestContext,
    Severity,
    Tier,
    Verdict,
)
from moderation_dev.simulator.request import MessagesRequest
from moderation_dev.simulator.verdict import extract_content

PNG_B64 = "iVBORw0KGgo="


RequestFactory = Callable[..., ModerationRequest]  # the make_request fixture
Simulate = Callable[..., MessagesRequest]  # the simulate fixture


def _blocks(messages: Sequence[MessageParam]) -> list[dict[str, Any]]:
    """The user turn's blocks as plain dicts (easier to inspect than the SDK's TypedDicts)."""
    assert len(messages) == 1
    assert messages[0]["role"] == "user"
    content = messages[0]["content"]
    assert not isinstance(content, str)
    return [dict(block) for block in content]


def _text(messages: Sequence[MessageParam]) -> str:
    """The text of the user turn's last block (metadata and content)."""
    return str(_blocks(messages)[-1]["text"])


def _verdict(**changes: object) -> Verdict:
    fields: dict[str, object] = {
        "tier": Tier.HAIKU,
        "model": "claude-haiku-4-5",
        "policy_id": "default",
        "policy_version": "2026.11",
        "categories": [
            CategoryScore(category="harassment", severity=Severity.MEDIUM, confidence=0.62)
        ],
        "flagged": True,
        "rationale": "Insult aimed at the reader.",
        "stop_reason": "tool_use",
        "decided_at": datetime(2026, 11, 1, tzinfo=UTC),
    }
    fields.update(changes)
    return Verdict.model_validate(fields)


def test_triage_turn_has_metadata_then_the_content(make_request: RequestFactory) -> None:
    request = make_request("you are awful", locale="de", context=RequestContext(surface="comment"))
    blocks = _blocks(triage_messages(request))
    assert len(blocks) == 1
    text = blocks[0]["text"]
    assert "locale: de\nsurface: comment\n" in text
    assert text.endswith(f"{CONTENT_OPEN}you are awful{CONTENT_CLOSE}")
    assert "c-1" not in text
    assert "t-1" not in text


def test_images_come_before_the_text(make_request: RequestFactory, simulate: Simulate) -> None:
    request = make_request(
        None,
        attachments=[
            Attachment(url="https://img.example/a.png"),
            Attachment(data=PNG_B64, media_type=ImageMediaType.PNG),
        ],
    )
    messages = triage_messages(request)
    blocks = _blocks(messages)
    assert [b["type"] for b in blocks] == ["image", "image", "text"]
    assert blocks[0]["source"] == {"type": "url", "url": "https://img.example/a.png"}
    assert blocks[1]["source"] == {"type": "base64", "media_type": "image/png", "data": PNG_B64}
    assert "images: 2" in blocks[2]["text"]
    assert "text: none" in blocks[2]["text"]
    content = extract_content(simulate(messages))
    assert (content.text, content.images) == ("", 2)


def test_parent_text_is_context_outside_the_content_block(
    make_request: RequestFactory, simulate: Simulate
) -> None:
    request = make_request("me too", context=RequestContext(parent_text="I love cats"))
    messages = triage_messages(request)
    text = _text(messages)
    assert "<parent_content>I love cats</parent_content>\n<moderated_content>" in text
    assert extract_content(simulate(messages)).text == "me too"


def test_review_turn_carries_the_first_verdict_outside_the_block(
    make_request: RequestFactory, simulate: Simulate
) -> None:
    request = make_request("you are awful")
    messages = review_messages(request, _verdict(), "flagged by triage: harassment")
    text = _text(messages)
    head, _, _ = text.partition(CONTENT_OPEN)
    line = next(x for x in head.splitlines() if x.startswith("first-tier verdict: "))
    summary = json.loads(line.removeprefix("first-tier verdict: "))
    assert summary == {
        "flagged": True,
        "categories": [{"category": "harassment", "severity": "medium", "confidence": 0.62}],
        "rationale": "Insult aimed at the reader.",
    }
    assert "reason for review: flagged by triage: harassment" in head
    assert extract_content(simulate(messages, tier="review")).text == "you are awful"


def test_review_without_a_first_verdict_or_with_a_refusal(make_request: RequestFactory) -> None:
    request = make_request("hmm")
    assert "first-tier verdict: none" in _text(review_messages(request, None, "unavailable"))
    refused = _verdict(categories=[], flagged=True, rationale="", stop_reason="refusal")
    text = _text(review_messages(request, refused, "refusal"))
    assert '"refused":true' in text
