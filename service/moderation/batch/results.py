"""Pure translation between one item's Messages call and one line of a batch (no I/O).

A batch result's message is read like an interactive reply: :func:`~moderation.llm.replies.reply_of`
and :func:`~moderation.llm.replies.judgement_of`.
"""

from __future__ import annotations

from typing import Any

from moderation.llm.gateway import LlmRequest


def batch_params(call: LlmRequest) -> dict[str, Any]:
    """The ``params`` of a batch request: the same body the gateway sends interactively."""
    return call.body()


def custom_id(sequence: int) -> str:
    """Unique within a batch and within ``^[a-zA-Z0-9_-]{1,64}$``; carries no content."""
    return f"item-{sequence}"
