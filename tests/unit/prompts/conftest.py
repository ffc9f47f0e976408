"""Fixtures for prompt tests: the packaged policy, request builders, the simulator's view."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from moderation.policy import Policy, PolicyBook
from moderation.prompts import system_blocks, verdict_tool
from moderation_contracts import ModerationRequest
from moderation_dev.simulator.request import MessagesRequest
from moderation_dev.simulator.validation import validate_messages

CORPUS_FILE = Path(__file__).with_name("injection_corpus.txt")
CORPUS_SEPARATOR = "\n%%\n"

RequestFactory = Callable[..., ModerationRequest]
Simulate = Callable[..., MessagesRequest]


@pytest.fixture(scope="session")
def policy() -> Policy:
    return PolicyBook.load(None).default


@pytest.fixture
def make_request() -> RequestFactory:
    def build(text: str | None = "hello", **fields: Any) -> ModerationRequest:
        fields.setdefault("content_id", "c-1")
        fields.setdefault("tenant_id", "t-1")
        fields.setdefault("submitted_at", datetime(2026, 11, 1, tzinfo=UTC))
        return ModerationRequest(text=text, **fields)

    return build


@pytest.fixture
def simulate(policy: Policy) -> Simulate:
    """Validate a full request body with the simulator, as the HTTP server would."""

    def build(
        messages: Sequence[object],
        *,
        tier: str = "triage",
        model: str = "claude-haiku-4-5",
        use_policy: Policy | None = None,
    ) -> MessagesRequest:
        chosen = use_policy or policy
        body = {
            "model": model,
            "max_tokens": 256,
            "system": system_blocks(chosen, "review" if tier == "review" else "triage"),
            "tools": [verdict_tool(chosen)],
            "tool_choice": {"type": "tool", "name": "record_verdict"},
            "messages": list(messages),
        }
        return validate_messages(body, "2026-10-21")

    return build


@pytest.fixture(scope="session")
def injection_corpus() -> list[str]:
    samples = CORPUS_FILE.read_text(encoding="utf-8").split(CORPUS_SEPARATOR)
    return [s for s in (sample.strip("\n") for sample in samples) if s]
