"""Build the Messages API response body from a request, a verdict and the usage split. Pure."""

from __future__ import annotations

import json
import secrets
from typing import Literal

from moderation_dev.simulator.caching import CacheUsage
from moderation_dev.simulator.request import JsonDict, MessagesRequest, Tool
from moderation_dev.simulator.schema_fill import break_instance, fill_schema, verdict_array_property
from moderation_dev.simulator.tokens import output_tokens, text_tokens
from moderation_dev.simulator.verdict import Verdict

REFUSAL_EXPLANATION = "The request was declined by the simulated safety classifier."
_THINKING = "Checking the content against each policy category before answering."


def new_id(prefix: str) -> str:
    """An id in the real API's style (``msg_01...``, ``toolu_01...``)."""
    return f"{prefix}_01{secrets.token_hex(11)}"


def _tool_to_call(request: MessagesRequest) -> Tool | None:
    forced = request.forced_tool()
    if forced is not None or request.tool_choice == "none":
        return forced
    # With tool_choice auto the simulated model uses a verdict-shaped tool when one exists.
    return next((t for t in request.tools if verdict_array_property(t.input_schema)), None)


def _usage(usage: CacheUsage, out: int, tier: Literal["standard", "batch"]) -> JsonDict:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": out,
        "cache_creation_input_tokens": usage.cache_creation_input_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.ephemeral_5m_input_tokens,
            "ephemeral_1h_input_tokens": usage.ephemeral_1h_input_tokens,
        },
        "service_tier": tier,
    }


def build_message(
    request: MessagesRequest,
    verdict: Verdict,
    usage: CacheUsage,
    tier: Literal["standard", "batch"] = "standard",
) -> JsonDict:
    """The full ``message`` object the real API would answer."""
    factor = request.model.token_factor
    content: list[JsonDict] = []
    stop_details: JsonDict | None = None
    tool = _tool_to_call(request)
    if verdict.outcome == "refuse":
        stop_reason = "refusal"
        stop_details = {
            "type": "refusal",
            "category": "general_harms",
            "explanation": REFUSAL_EXPLANATION,
        }
    elif tool is not None:
        data = fill_schema(tool.input_schema, verdict)
        if verdict.outcome == "malformed":
            data = break_instance(data, tool.input_schema)
        content.append(
            {"type": "tool_use", "id": new_id("toolu"), "name": tool.name, "input": data}
        )
        stop_reason = "tool_use"
    elif request.output_schema is not None:
        data = fill_schema(request.output_schema, verdict)
        if verdict.outcome == "malformed":
            data = break_instance(data, request.output_schema)
        content.append({"type": "text", "text": json.dumps(data, ensure_ascii=False)})
        stop_reason = "end_turn"
    else:
        text = verdict.rationale or "I could not produce an answer."
        content.append({"type": "text", "text": text})
        stop_reason = "end_turn"
    out = output_tokens(json.dumps(content, ensure_ascii=False), factor) if content else 1
    if request.thinking_budget is not None and stop_reason != "refusal":
        thinking: JsonDict = {"type": "thinking", "thinking": _THINKING, "signature": new_id("sig")}
        content.insert(0, thinking)
        out += min(request.thinking_budget, 40 + text_tokens(_THINKING, factor))
    if out > request.max_tokens:
        out = request.max_tokens
        stop_reason = "max_tokens"
        content = _truncate(content, request.max_tokens)
    return {
        "id": new_id("msg"),
        "type": "message",
        "role": "assistant",
        "model": request.model.model_id,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "stop_details": stop_details,
        "usage": _usage(usage, out, tier),
    }


def _truncate(content: list[JsonDict], max_tokens: int) -> list[JsonDict]:
    """Content cut at max_tokens: text shortened, a tool call left with partial (empty) input."""
    if max_tokens == 0:
        return []
    cut: list[JsonDict] = []
    for block in content:
        if block.get("type") == "text":
            cut.append({"type": "text", "text": str(block["text"])[: max_tokens * 4]})
        elif block.get("type") == "tool_use":
            cut.append({**block, "input": {}})
        else:
            cut.append(block)
    return cut
