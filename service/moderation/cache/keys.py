"""The verdict cache key: a digest of exactly what the model would be asked.

Two items share a key only when the tier, the model, the policy (id and version), the system
prompt's inputs and the user turn are identical, so a cached verdict is the verdict the model
would have given. The key holds no content, only its SHA-256 digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from moderation.llm.gateway import LlmRequest
from moderation.policy import Policy

KEY_VERSION = "v1"


def verdict_key(tier: str, policy: Policy, call: LlmRequest) -> str:
    """``v1:<tier>:<policy id>:<policy version>:<sha256 of model and messages>``."""
    digest = hashlib.sha256()
    for part in (call.model, str(call.max_tokens), str(call.thinking_budget)):
        digest.update(part.encode())
        digest.update(b"\x1f")
    digest.update(_canonical(call.messages))
    return f"{KEY_VERSION}:{tier}:{policy.policy_id}:{policy.version}:{digest.hexdigest()}"


def _canonical(messages: Sequence[Mapping[str, Any]]) -> bytes:
    return json.dumps(
        list(messages), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
