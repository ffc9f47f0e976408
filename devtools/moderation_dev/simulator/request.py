"""A validated Messages API request, in typed form (built by validation.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from moderation_dev.simulator.models import ModelInfo

JsonDict = dict[str, object]
Ttl = Literal["5m", "1h"]
ToolChoiceType = Literal["auto", "any", "tool", "none"]
ApiVersion = Literal["2023-06-01", "2026-10-21"]


@dataclass(frozen=True)
class Block:
    """One content block of the prompt (a tool definition, a system block or a message block).

    ``key`` is a canonical serialization used to hash cache prefixes; ``cache_ttl`` is set when
    the block carries ``cache_control`` (a breakpoint)."""

    section: Literal["tools", "system", "messages"]
    key: str
    cache_ttl: Ttl | None = None


@dataclass(frozen=True)
class Message:
    """One turn: role and its content blocks (a string content becomes one text block)."""

    role: Literal["user", "assistant"]
    blocks: tuple[JsonDict, ...]


@dataclass(frozen=True)
class Tool:
    """A tool definition; ``input_schema`` is empty for server tools."""

    name: str
    input_schema: JsonDict
    raw: JsonDict


@dataclass(frozen=True)
class MessagesRequest:
    """Everything the simulator uses from a ``POST /v1/messages`` body."""

    model: ModelInfo
    max_tokens: int
    messages: tuple[Message, ...]
    system: tuple[JsonDict, ...] = ()
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoiceType = "auto"
    tool_choice_name: str | None = None
    thinking_budget: int | None = None  # set when extended thinking is enabled
    output_schema: JsonDict | None = None  # output_config.format.schema
    auto_cache_ttl: Ttl | None = None  # top-level cache_control

    def forced_tool(self) -> Tool | None:
        """The tool the model must call, if tool_choice forces one."""
        if self.tool_choice == "tool":
            return next((t for t in self.tools if t.name == self.tool_choice_name), None)
        if self.tool_choice == "any" and self.tools:
            return self.tools[0]
        return None
