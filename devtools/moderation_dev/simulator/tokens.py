"""A consistent token estimate for prompts and outputs (about 4 characters per English token).

The same functions serve /v1/messages usage, count_tokens, rate limits and prompt caching, so
the numbers agree everywhere. Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from moderation_dev.simulator.request import JsonDict, MessagesRequest, Ttl
from moderation_dev.simulator.validation import canonical

IMAGE_TOKENS = 1_600
BASE_OVERHEAD = 3  # start-of-conversation tokens every request pays
MESSAGE_OVERHEAD = 4  # role markers around each turn
TOOL_OVERHEAD = 8  # framing around each serialized tool definition
# The hidden system prompt that enables tool use (documented sizes for Claude 4 models).
TOOL_SYSTEM_PROMPT = {"auto": 346, "none": 346, "any": 313, "tool": 313}


@dataclass(frozen=True)
class PromptBlock:
    """One block of the prompt in cache-prefix order, with its token share."""

    key: str
    tokens: int
    cache_ttl: Ttl | None


def text_tokens(text: str, factor: float = 1.0) -> int:
    """Tokens for a piece of text: ~4 ASCII characters per token, ~0.7 per other character."""
    if not text:
        return 0
    ascii_chars = sum(1 for ch in text if ord(ch) < 128)
    other = len(text) - ascii_chars
    return max(1, math.ceil((ascii_chars / 4 + other * 0.7) * factor))


def content_block_tokens(block: JsonDict, factor: float = 1.0) -> int:
    """Tokens for one message or system content block."""
    kind = block.get("type")
    if kind == "image":
        return IMAGE_TOKENS
    if kind == "text":
        text = block.get("text")
        return text_tokens(text if isinstance(text, str) else "", factor)
    payload = {k: v for k, v in block.items() if k != "cache_control"}
    return text_tokens(canonical(payload), factor)


def _ttl(block: JsonDict) -> Ttl | None:
    control = block.get("cache_control")
    if isinstance(control, dict):
        return "1h" if control.get("ttl") == "1h" else "5m"
    return None


def prompt_blocks(request: MessagesRequest) -> list[PromptBlock]:
    """The prompt as ordered blocks (tools, system, messages) with tokens and breakpoints."""
    factor = request.model.token_factor
    blocks: list[PromptBlock] = []
    for index, tool in enumerate(request.tools):
        definition = {k: v for k, v in tool.raw.items() if k != "cache_control"}
        tokens = text_tokens(canonical(definition), factor) + TOOL_OVERHEAD
        if index == 0:
            tokens += TOOL_SYSTEM_PROMPT[request.tool_choice]
        blocks.append(PromptBlock("tool:" + canonical(definition), tokens, _ttl(tool.raw)))
    for block in request.system:
        key = "system:" + str(block.get("text"))
        blocks.append(PromptBlock(key, content_block_tokens(block, factor), _ttl(block)))
    for message in request.messages:
        for index, block in enumerate(message.blocks):
            tokens = content_block_tokens(block, factor)
            if index == 0:
                tokens += MESSAGE_OVERHEAD
            payload = {k: v for k, v in block.items() if k != "cache_control"}
            key = f"{message.role}:{canonical(payload)}"
            blocks.append(PromptBlock(key, tokens, _ttl(block)))
    if request.auto_cache_ttl and blocks and blocks[-1].cache_ttl is None:
        last = blocks[-1]
        blocks[-1] = PromptBlock(last.key, last.tokens, request.auto_cache_ttl)
    return blocks


def input_tokens(request: MessagesRequest) -> int:
    """Total input tokens of a request (before splitting into cached and uncached parts)."""
    return BASE_OVERHEAD + sum(block.tokens for block in prompt_blocks(request))


def output_tokens(serialized_output: str, factor: float = 1.0) -> int:
    """Output tokens for generated content; never zero, like the real API."""
    return max(1, text_tokens(serialized_output, factor) + 1)
