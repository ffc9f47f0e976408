"""The verdict cache key: a digest of exactly what the model would be asked about the item.

Two items share a key only when the tier, the model and its limits, the policy's content (its
fingerprint: an edited policy under the same declared version gets new keys) and the user turn
are identical, so a cached verdict is the verdict the model would have given. Items that point
at images by URL are never cached (:func:`cacheable`): the bytes behind a URL can change while
the URL string stays the same. Inline images are part of the user turn, so their bytes are in
the digest. The key holds no content, only SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from moderation.llm.judge import TierConfig
from moderation.policy import Policy
from moderation.prompts import review_messages, triage_messages
from moderation_contracts import ModerationRequest, Tier, Verdict

KEY_VERSION = "v2"


def cacheable(request: ModerationRequest) -> bool:
    """False when an attachment is a URL: what it points at is not part of the request."""
    return all(attachment.url is None for attachment in request.attachments)


def user_turn(
    tier: Tier, request: ModerationRequest, triage: Verdict | None, reason: str
) -> Sequence[Mapping[str, Any]]:
    """The messages a tier's classifier sends for this item (as ``Classifier`` builds them)."""
    if tier is Tier.HAIKU:
        return triage_messages(request)
    return review_messages(request, triage, reason)


def verdict_key(
    config: TierConfig,
    policy: Policy,
    messages: Sequence[Mapping[str, Any]],
    policy_fingerprint: str | None = None,
) -> str:
    """``v2:<tier>:<model>:<policy id>:<policy version>:<sha256 of policy content, limits and
    messages>``. Pass ``policy_fingerprint`` when it is already known (it costs a hash)."""
    digest = hashlib.sha256()
    fingerprint = policy_fingerprint or policy.fingerprint
    for part in (fingerprint, str(config.max_tokens), str(config.thinking_budget)):
        digest.update(part.encode())
        digest.update(b"\x1f")
    digest.update(
        json.dumps(
            list(messages), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    )
    head = ":".join((KEY_VERSION, config.tier.value, config.model, policy.policy_id))
    return f"{head}:{policy.version}:{digest.hexdigest()}"
