"""The verdict cache key: a digest of exactly what the model would be asked about the item.

Two items share a key only when the tier, the model and its limits, the policy (id and
version, which fix the system prompt and the tool) and the user turn are identical, so a cached
verdict is the verdict the model would have given. The key holds no content, only a SHA-256
digest. Only the user turn is built here: the system prompt follows from the policy version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from moderation.llm.classify import TierConfig
from moderation.policy import Policy
from moderation.prompts import review_messages, triage_messages
from moderation_contracts import ModerationRequest, Tier, Verdict

KEY_VERSION = "v1"


def user_turn(
    tier: Tier, request: ModerationRequest, triage: Verdict | None, reason: str
) -> Sequence[Mapping[str, Any]]:
    """The messages a tier's classifier sends for this item (as ``Classifier`` builds them)."""
    if tier is Tier.HAIKU:
        return triage_messages(request)
    return review_messages(request, triage, reason)


def verdict_key(config: TierConfig, policy: Policy, messages: Sequence[Mapping[str, Any]]) -> str:
    """``v1:<tier>:<policy id>:<policy version>:<sha256 of model, limits and messages>``."""
    digest = hashlib.sha256()
    for part in (config.model, str(config.max_tokens), str(config.thinking_budget)):
        digest.update(part.encode())
        digest.update(b"\x1f")
    digest.update(
        json.dumps(
            list(messages), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    )
    tier = config.tier.value
    return f"{KEY_VERSION}:{tier}:{policy.policy_id}:{policy.version}:{digest.hexdigest()}"
