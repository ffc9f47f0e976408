"""The service's exceptions: one root, retryable and permanent failures kept apart.

A failure is data in this service: stages turn these into dead letters or into a step up the
escalation ladder; they are not meant to escape a stage.
"""

from __future__ import annotations


class ModerationError(Exception):
    """Root of every error the service raises on purpose."""


class RetryableError(ModerationError):
    """Trying again later may succeed (rate limits, overload, timeouts, broker hiccups)."""


class PermanentError(ModerationError):
    """Trying again will not help (bad input, bad configuration)."""


class TierUnavailable(RetryableError):
    """An LLM tier could not answer after the SDK's retries (or its circuit is open)."""

    def __init__(self, model: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(f"{model} unavailable: {reason}")
        self.model = model
        self.reason = reason
        self.status = status


class ItemRejected(PermanentError):
    """The API refused this one request (400/404/413/422...: an image it cannot fetch or decode,
    an oversized request). Another item may well succeed, so this is never "tier unavailable":
    the item moves up the escalation ladder, it is never allowed by a fail-open policy."""

    def __init__(self, model: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(f"{model} rejected the item: {reason}")
        self.model = model
        self.reason = reason
        self.status = status


class ConfigurationError(PermanentError):
    """The service is configured in a way that cannot work (e.g. an API key the API rejects)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


CONFIGURATION_STATUSES = frozenset({401, 402, 403})
"""API answers that reject the deployment, not the item: credentials, billing, permissions."""
