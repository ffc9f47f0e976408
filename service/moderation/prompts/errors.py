"""Errors raised while reading a model's answer."""

from __future__ import annotations

from moderation.errors import ModerationError


class InvalidModelOutput(ModerationError, ValueError):
    """The model's tool input does not fit the verdict schema or the policy's categories.

    The message says what is wrong without quoting the content. The classifier retries once,
    then escalates the item.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
