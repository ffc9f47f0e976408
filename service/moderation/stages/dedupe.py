"""Duplicate suppression: the content fingerprint and the bounded memory of handled items."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from moderation.telemetry import content_hash
from moderation_contracts import ModerationRequest


def request_hash(request: ModerationRequest) -> str:
    """Hash of what the models see (text and attachments), for spans, dedupe and caching."""
    parts = [request.text or ""]
    parts.extend(a.url or a.data or "" for a in request.attachments)
    return content_hash("\x1f".join(parts))


class RecentlySeen:
    """A bounded memory of (content_id, fingerprint) pairs a stage has already handled.

    Redelivery after a rebalance or an upstream resend within the window is answered with no
    new output. It is per process and forgets on restart: downstream consumers still dedupe on
    (content_id, stage), as the contract says.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self._seen: OrderedDict[Hashable, None] = OrderedDict()
        self._capacity = capacity

    def __contains__(self, key: Hashable) -> bool:
        return key in self._seen

    def add(self, key: Hashable) -> None:
        self._seen[key] = None
        self._seen.move_to_end(key)
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
