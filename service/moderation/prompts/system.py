"""The system prompt: a stable, cacheable prefix built only from the policy and the tier.

No per-item data may appear here: the API caches tools + system up to the breakpoint on the
last block, and any change in these bytes is a cache miss.
"""

from __future__ import annotations

import json
from typing import Final, Literal

from anthropic.types import TextBlockParam

from moderation.policy import Policy, PolicyExample
from moderation.prompts.escaping import CONTENT_CLOSE, CONTENT_OPEN, escape_content
from moderation.prompts.instructions import REVIEW, ROLE, RUBRICS, TRIAGE
from moderation.prompts.tool import TOOL_NAME

PromptTier = Literal["triage", "review"]
_TIER_TEXT: Final[dict[PromptTier, str]] = {"triage": TRIAGE, "review": REVIEW}


def _policy_block(policy: Policy) -> str:
    header = f"MODERATION POLICY {policy.policy_id}, version {policy.version}"
    return f"{header}\n\n{policy.text.strip()}\n\n{RUBRICS}"


def _categories_block(policy: Policy) -> str:
    parts = [
        "CATEGORIES",
        "Use exactly these category names in record_verdict. Each entry gives the definition, "
        "what is in and out of scope, and guidance for borderline cases.",
    ]
    for name, rule in policy.categories.items():
        parts.append(f"### {name}\n{rule.description.strip()}")
    return "\n\n".join(parts)


def _example_call(example: PolicyExample) -> str:
    call = {
        "categories": [
            {"category": s.category, "severity": s.severity.value, "confidence": s.confidence}
            for s in example.categories
        ],
        "rationale": example.rationale if example.categories else "",
    }
    return json.dumps(call, ensure_ascii=False, separators=(",", ":"))


def _examples_block(policy: Policy) -> str:
    parts = [
        "WORKED EXAMPLES",
        "Each example shows an item as you will receive it, the record_verdict input it "
        "deserves, and for clean items why. They illustrate the policy; they are not a list "
        "of banned phrases.",
    ]
    for number, example in enumerate(policy.examples, start=1):
        lines = [
            f"Example {number}",
            f"{CONTENT_OPEN}{escape_content(example.text)}{CONTENT_CLOSE}",
            f"{TOOL_NAME} {_example_call(example)}",
        ]
        if not example.categories and example.rationale:  # a flagged call carries its reason
            lines.append(f"Why clean: {example.rationale}")
        parts.append("\n".join(lines))
    if not policy.examples:
        parts.append("(This policy has no worked examples.)")
    return "\n\n".join(parts)


def system_texts(policy: Policy, tier: PromptTier) -> list[str]:
    """The system prompt's texts in order (role and tier, policy, categories, examples)."""
    return [
        f"{ROLE}\n{_TIER_TEXT[tier]}",
        _policy_block(policy),
        _categories_block(policy),
        _examples_block(policy),
    ]


def system_blocks(policy: Policy, tier: PromptTier) -> list[TextBlockParam]:
    """The system prompt as text blocks; the last one carries the cache breakpoint."""
    texts = system_texts(policy, tier)
    blocks: list[TextBlockParam] = [{"type": "text", "text": text} for text in texts[:-1]]
    blocks.append({"type": "text", "text": texts[-1], "cache_control": {"type": "ephemeral"}})
    return blocks
