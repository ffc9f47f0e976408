"""The routes an item can take through the pipeline, as the demo names and counts them."""

from __future__ import annotations

from enum import StrEnum


class DemoRoute(StrEnum):
    """One path through the pipeline; the demo's corpus guarantees each of the first seven."""

    HAIKU_ALLOW = "haiku allow"
    SONNET_CLEARS = "haiku flag -> sonnet clears"
    HUMAN = "sonnet confirms -> human"
    REFUSAL = "refusal -> next tier"
    RETRY = "malformed output -> retry"
    REJECTED = "invalid -> rejected + dead letter"
    DEAD_LETTER = "unreadable -> dead letter only"
    PIPELINE_ERROR = "pipeline error -> dead letter"
    SONNET_REMOVES = "sonnet removes (policy)"
    FALLBACK = "tier unavailable -> fallback"
    UNKNOWN = "no terminal outcome"


GUARANTEED: tuple[DemoRoute, ...] = (
    DemoRoute.HAIKU_ALLOW,
    DemoRoute.SONNET_CLEARS,
    DemoRoute.HUMAN,
    DemoRoute.REFUSAL,
    DemoRoute.RETRY,
    DemoRoute.REJECTED,
    DemoRoute.DEAD_LETTER,
)
"""Routes the bundled corpus scripts with simulator markers or invalid payloads."""
