"""The user turn for one item: images first, then metadata and the escaped content.

Only non-sensitive metadata (locale, surface) goes outside the content block, and every piece
of text that did not come from us is escaped, so the last ``</moderated_content>`` in the turn
is always the real one.
"""

from __future__ import annotations

import json
from typing import Final

from anthropic.types import ImageBlockParam, MessageParam, TextBlockParam

from moderation.prompts.escaping import (
    CONTENT_CLOSE,
    CONTENT_OPEN,
    PARENT_CLOSE,
    PARENT_OPEN,
    escape_content,
)
from moderation_contracts import Attachment, ModerationRequest, Verdict

_TRIAGE_TASK: Final = "Moderate the item below and record your verdict with record_verdict."
_REVIEW_TASK: Final = (
    "Review the item below as the second opinion and record your verdict with record_verdict."
)


def _image_block(attachment: Attachment) -> ImageBlockParam:
    if attachment.url is not None:
        return {"type": "image", "source": {"type": "url", "url": attachment.url}}
    if attachment.data is None or attachment.media_type is None:  # the contract forbids this
        raise ValueError("an inline attachment needs data and media_type")
    return {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": attachment.media_type.value,
            "data": attachment.data,
        },
    }


def _metadata_lines(request: ModerationRequest) -> list[str]:
    lines = [f"locale: {request.locale or 'unknown'}"]
    surface = request.context.surface if request.context else None
    lines.append(f"surface: {escape_content(surface) if surface else 'unknown'}")
    images = len(request.attachments)
    if images:
        lines.append(f"images: {images} (shown above, part of the item)")
    if request.text is None:
        lines.append("text: none (judge the images)")
    return lines


def _content_section(request: ModerationRequest) -> str:
    parts: list[str] = []
    parent = request.context.parent_text if request.context else None
    if parent:
        parts.append(f"{PARENT_OPEN}{escape_content(parent)}{PARENT_CLOSE}")
    parts.append(f"{CONTENT_OPEN}{escape_content(request.text or '')}{CONTENT_CLOSE}")
    return "\n".join(parts)


def _user_turn(request: ModerationRequest, header: list[str]) -> list[MessageParam]:
    blocks: list[TextBlockParam | ImageBlockParam] = [_image_block(a) for a in request.attachments]
    text = "\n".join([*header, *_metadata_lines(request), _content_section(request)])
    blocks.append({"type": "text", "text": text})
    return [{"role": "user", "content": blocks}]


def triage_messages(request: ModerationRequest) -> list[MessageParam]:
    """The messages for the first tier: one user turn."""
    return [*_user_turn(request, [_TRIAGE_TASK])]


def triage_summary(triage: Verdict | None) -> str:
    """The first tier's verdict as compact JSON (escaped), or a note that there is none."""
    if triage is None:
        return "none (the first tier gave no usable verdict)"
    summary: dict[str, object] = {
        "flagged": triage.flagged,
        "categories": [
            {"category": s.category, "severity": s.severity.value, "confidence": s.confidence}
            for s in triage.categories
        ],
        "rationale": triage.rationale,
    }
    if triage.refused:
        summary["refused"] = True
    return escape_content(json.dumps(summary, ensure_ascii=False, separators=(",", ":")))


def review_messages(
    request: ModerationRequest, triage: Verdict | None, reason: str
) -> list[MessageParam]:
    """The messages for the review tier: the first verdict and the reason, then the item."""
    header = [
        _REVIEW_TASK,
        f"first-tier verdict: {triage_summary(triage)}",
        f"reason for review: {escape_content(reason) or 'unspecified'}",
    ]
    return [*_user_turn(request, header)]
