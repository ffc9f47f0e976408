"""Validate a Messages API body like the real API and turn it into a MessagesRequest.

Every problem raises InvalidRequest (400 invalid_request_error) whose message names the field,
in the ``<path>: <problem>`` style of the real API. Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from typing import cast

from moderation_dev.simulator.errors import InvalidRequest
from moderation_dev.simulator.models import resolve_model
from moderation_dev.simulator.request import (
    ApiVersion,
    JsonDict,
    Message,
    MessagesRequest,
    Tool,
    ToolChoiceType,
    Ttl,
)

SUPPORTED_VERSIONS: tuple[ApiVersion, ...] = ("2023-06-01", "2026-10-21")
MAX_BREAKPOINTS = 4
MIN_THINKING_BUDGET = 1024
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
_SAMPLING = ("temperature", "top_p", "top_k")
_ALLOWED_FIELDS = frozenset(
    {
        "model",
        "max_tokens",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "metadata",
        "stop_sequences",
        "stream",
        "thinking",
        "output_config",
        "cache_control",
        "service_tier",
        "container",
        "inference_geo",
        "speed",
        "diagnostics",
        "user_profile_id",
        *_SAMPLING,
    }
)


def _fail(path: str, problem: str) -> InvalidRequest:
    return InvalidRequest(f"{path}: {problem}")


def _obj(value: object, path: str) -> JsonDict:
    if not isinstance(value, dict):
        raise _fail(path, "Input should be a valid dictionary")
    return cast(JsonDict, value)


def _list(value: object, path: str) -> list[object]:
    if not isinstance(value, list):
        raise _fail(path, "Input should be a valid list")
    return cast(list[object], value)


def _str(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise _fail(path, "Input should be a valid string")
    return value


def _int(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, "Input should be a valid integer")
    return value


def _cache_ttl(block: JsonDict, path: str) -> Ttl | None:
    raw = block.get("cache_control")
    if raw is None:
        return None
    control = _obj(raw, f"{path}.cache_control")
    if control.get("type") != "ephemeral":
        raise _fail(f"{path}.cache_control.type", "Input should be 'ephemeral'")
    ttl = control.get("ttl", "5m")
    if ttl not in ("5m", "1h"):
        raise _fail(f"{path}.cache_control.ttl", "Input should be '5m' or '1h'")
    return ttl


def _content_block(value: object, path: str) -> JsonDict:
    block = _obj(value, path)
    kind = block.get("type")
    if kind == "text":
        _str(block.get("text"), f"{path}.text")
    elif kind == "image":
        source = _obj(block.get("source"), f"{path}.source")
        if source.get("type") == "base64":
            if source.get("media_type") not in _IMAGE_TYPES:
                raise _fail(f"{path}.source.media_type", f"Input should be one of {_IMAGE_TYPES}")
            _str(source.get("data"), f"{path}.source.data")
        elif source.get("type") == "url":
            _str(source.get("url"), f"{path}.source.url")
        else:
            raise _fail(f"{path}.source.type", "Input should be 'base64' or 'url'")
    elif not isinstance(kind, str):
        raise _fail(f"{path}.type", "Field required")
    _cache_ttl(block, path)
    return block


def _messages(body: JsonDict) -> tuple[Message, ...]:
    if "messages" not in body:
        raise _fail("messages", "Field required")
    raw = _list(body["messages"], "messages")
    if not raw:
        raise _fail("messages", "at least one message is required")
    result: list[Message] = []
    for index, item in enumerate(raw):
        path = f"messages.{index}"
        message = _obj(item, path)
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise _fail(f"{path}.role", "Input should be 'user' or 'assistant'")
        content = message.get("content")
        if isinstance(content, str):
            blocks: tuple[JsonDict, ...] = ({"type": "text", "text": content},)
        else:
            items = _list(content, f"{path}.content")
            blocks = tuple(_content_block(b, f"{path}.content.{i}") for i, b in enumerate(items))
        if role == "user" and not blocks:
            raise _fail(f"{path}.content", "user messages must have non-empty content")
        result.append(Message(role, blocks))
    return tuple(result)


def _system(body: JsonDict) -> tuple[JsonDict, ...]:
    raw = body.get("system")
    if raw is None:
        return ()
    if isinstance(raw, str):
        return ({"type": "text", "text": raw},) if raw else ()
    blocks = _list(raw, "system")
    result: list[JsonDict] = []
    for index, item in enumerate(blocks):
        block = _obj(item, f"system.{index}")
        if block.get("type") != "text":
            raise _fail(f"system.{index}.type", "Input should be 'text'")
        _str(block.get("text"), f"system.{index}.text")
        _cache_ttl(block, f"system.{index}")
        result.append(block)
    return tuple(result)


def _tools(body: JsonDict) -> tuple[Tool, ...]:
    raw = body.get("tools")
    if raw is None:
        return ()
    result: list[Tool] = []
    seen: set[str] = set()
    for index, item in enumerate(_list(raw, "tools")):
        path = f"tools.{index}"
        tool = _obj(item, path)
        name = _str(tool.get("name"), f"{path}.name")
        if not _TOOL_NAME.match(name):
            raise _fail(f"{path}.name", f"String should match pattern '{_TOOL_NAME.pattern}'")
        if name in seen:
            raise _fail("tools", f"Tool names must be unique; '{name}' appears twice")
        seen.add(name)
        kind = tool.get("type", "custom")
        schema: JsonDict = {}
        if kind in ("custom", None):
            if "input_schema" not in tool:
                raise _fail(f"{path}.input_schema", "Field required")
            schema = _obj(tool["input_schema"], f"{path}.input_schema")
            if schema.get("type") != "object":
                raise _fail(f"{path}.input_schema.type", "Input should be 'object'")
        _cache_ttl(tool, path)
        result.append(Tool(name, schema, tool))
    return tuple(result)


def _tool_choice(body: JsonDict, tools: tuple[Tool, ...]) -> tuple[ToolChoiceType, str | None]:
    raw = body.get("tool_choice")
    if raw is None:
        return "auto", None
    choice = _obj(raw, "tool_choice")
    kind = choice.get("type")
    if kind not in ("auto", "any", "tool", "none"):
        raise _fail("tool_choice.type", "Input should be 'auto', 'any', 'tool' or 'none'")
    if kind in ("any", "tool") and not tools:
        raise _fail("tool_choice", f"tool_choice.type '{kind}' requires 'tools' to be provided")
    name: str | None = None
    if kind == "tool":
        name = _str(choice.get("name"), "tool_choice.name")
        if name not in {t.name for t in tools}:
            defined = ", ".join(t.name for t in tools)
            raise _fail(
                "tool_choice.name", f"Tool '{name}' not found in provided tools ({defined})"
            )
    return kind, name


def _thinking(body: JsonDict, max_tokens: int, forced: bool) -> int | None:
    raw = body.get("thinking")
    if raw is None:
        return None
    thinking = _obj(raw, "thinking")
    kind = thinking.get("type")
    if kind == "disabled":
        return None
    if kind not in ("enabled", "adaptive"):
        raise _fail("thinking.type", "Input should be 'enabled', 'adaptive' or 'disabled'")
    if forced:
        raise InvalidRequest(
            "Thinking may not be enabled when tool_choice forces tool use. "
            "Use tool_choice 'auto' or 'none', or disable thinking."
        )
    if kind == "adaptive":
        return max(0, min(max_tokens // 2, 4_096))
    budget = _int(thinking.get("budget_tokens"), "thinking.budget_tokens")
    if budget < MIN_THINKING_BUDGET:
        raise _fail(
            "thinking.enabled.budget_tokens",
            f"Input should be greater than or equal to {MIN_THINKING_BUDGET}",
        )
    if budget >= max_tokens:
        raise InvalidRequest(
            f"`max_tokens` must be greater than `thinking.budget_tokens` "
            f"(got max_tokens={max_tokens}, budget_tokens={budget})"
        )
    return budget


def _output_schema(body: JsonDict) -> JsonDict | None:
    raw = body.get("output_config")
    if raw is None:
        return None
    config = _obj(raw, "output_config")
    effort = config.get("effort")
    if effort is not None and effort not in ("low", "medium", "high", "xhigh", "max"):
        raise _fail(
            "output_config.effort", "Input should be 'low', 'medium', 'high', 'xhigh' or 'max'"
        )
    fmt = config.get("format")
    if fmt is None:
        return None
    form = _obj(fmt, "output_config.format")
    if form.get("type") != "json_schema":
        raise _fail("output_config.format.type", "Input should be 'json_schema'")
    if "schema" not in form:
        raise _fail("output_config.format.schema", "Field required")
    return _obj(form["schema"], "output_config.format.schema")


def _sampling(body: JsonDict, version: ApiVersion) -> None:
    present = [name for name in _SAMPLING if name in body]
    if not present:
        return
    if version == "2026-10-21":
        raise _fail(
            present[0],
            "sampling parameters (temperature, top_p, top_k) are not supported with "
            "anthropic-version 2026-10-21; remove them or use effort in output_config",
        )
    for name in present:
        value = body[name]
        if name == "top_k":
            if _int(value, name) < 0:
                raise _fail(name, "Input should be greater than or equal to 0")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(name, "Input should be a valid number")
        if not 0.0 <= float(value) <= 1.0:
            raise _fail(name, "Input should be between 0 and 1")


def _check_breakpoints(req: MessagesRequest) -> None:
    ttls: list[Ttl] = []
    for tool in req.tools:
        ttl = _cache_ttl(tool.raw, "tools")
        if ttl:
            ttls.append(ttl)
    for block in req.system:
        ttl = _cache_ttl(block, "system")
        if ttl:
            ttls.append(ttl)
    for message in req.messages:
        for block in message.blocks:
            ttl = _cache_ttl(block, "messages")
            if ttl:
                ttls.append(ttl)
    if req.auto_cache_ttl:
        ttls.append(req.auto_cache_ttl)
    if len(ttls) > MAX_BREAKPOINTS:
        raise InvalidRequest(
            f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. "
            f"Found {len(ttls)}."
        )
    seen_5m = False
    for ttl in ttls:
        if ttl == "5m":
            seen_5m = True
        elif seen_5m:
            raise InvalidRequest(
                "a ttl='1h' cache_control block must not come after a ttl='5m' block "
                "(order: tools, system, messages)"
            )


def validate_messages(
    body: object, version: ApiVersion, *, count_tokens: bool = False
) -> MessagesRequest:
    """Check a Messages (or count_tokens) body and return its typed form."""
    request = _obj(body, "body")
    allowed = _ALLOWED_FIELDS - {"max_tokens", "stream"} if count_tokens else _ALLOWED_FIELDS
    for name in request:
        if name not in allowed:
            raise _fail(name, "Extra inputs are not permitted")
    if "model" not in request:
        raise _fail("model", "Field required")
    model = resolve_model(_str(request["model"], "model"))
    if count_tokens:
        max_tokens = model.max_output_tokens
    else:
        if "max_tokens" not in request:
            raise _fail("max_tokens", "Field required")
        max_tokens = _int(request["max_tokens"], "max_tokens")
        if max_tokens < 0:
            raise _fail("max_tokens", "Input should be greater than or equal to 0")
        if max_tokens > model.max_output_tokens:
            raise _fail(
                "max_tokens",
                f"{max_tokens} > {model.max_output_tokens}, which is the maximum allowed "
                f"number of output tokens for {model.model_id}",
            )
        if request.get("stream") is True:
            raise _fail("stream", "streaming is not supported by the simulator; omit it")
    _sampling(request, version)
    messages = _messages(request)
    tools = _tools(request)
    choice, choice_name = _tool_choice(request, tools)
    stops = request.get("stop_sequences")
    if stops is not None:
        for index, item in enumerate(_list(stops, "stop_sequences")):
            _str(item, f"stop_sequences.{index}")
    metadata = request.get("metadata")
    if metadata is not None:
        user_id = _obj(metadata, "metadata").get("user_id")
        if user_id is not None and len(_str(user_id, "metadata.user_id")) > 256:
            raise _fail("metadata.user_id", "String should have at most 256 characters")
    top_cache = request.get("cache_control")
    parsed = MessagesRequest(
        model=model,
        max_tokens=max_tokens,
        messages=messages,
        system=_system(request),
        tools=tools,
        tool_choice=choice,
        tool_choice_name=choice_name,
        thinking_budget=_thinking(request, max_tokens, choice in ("any", "tool")),
        output_schema=_output_schema(request),
        auto_cache_ttl=_cache_ttl(request, "body") if top_cache is not None else None,
    )
    _check_breakpoints(parsed)
    return parsed


def canonical(value: object) -> str:
    """A stable serialization (sorted keys, no spaces) used for hashing and token counts."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
