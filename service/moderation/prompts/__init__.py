"""Prompt building for the moderation tiers, and reading the answer back.

- ``system_blocks(policy, tier)``: the cached system prefix (role, policy, categories, examples).
- ``verdict_tool(policy)``: the forced ``record_verdict`` tool.
- ``triage_messages(request)`` / ``review_messages(request, triage, reason)``: the user turn,
  with the content escaped (``escape_content``) between ``CONTENT_OPEN`` and ``CONTENT_CLOSE``.
- ``parse_verdict_output(tool_input, policy)``: a ``VerdictOutput`` or ``InvalidModelOutput``.

Pure: no I/O.
"""

from moderation.prompts.errors import InvalidModelOutput
from moderation.prompts.escaping import (
    CONTENT_CLOSE,
    CONTENT_OPEN,
    PARENT_CLOSE,
    PARENT_OPEN,
    TAG_REPLACEMENT,
    escape_content,
)
from moderation.prompts.messages import review_messages, triage_messages, triage_summary
from moderation.prompts.output import VerdictOutput, parse_verdict_output
from moderation.prompts.system import PromptTier, system_blocks, system_texts
from moderation.prompts.tool import TOOL_NAME, verdict_tool

__all__ = [
    "CONTENT_CLOSE",
    "CONTENT_OPEN",
    "PARENT_CLOSE",
    "PARENT_OPEN",
    "TAG_REPLACEMENT",
    "TOOL_NAME",
    "InvalidModelOutput",
    "PromptTier",
    "VerdictOutput",
    "escape_content",
    "parse_verdict_output",
    "review_messages",
    "system_blocks",
    "system_texts",
    "triage_messages",
    "triage_summary",
    "verdict_tool",
]
