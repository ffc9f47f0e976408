"""A scripted Anthropic API behind the real SDK (httpx2 MockTransport: no sockets) and a fake
clock, for the gateway tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx2

from moderation.llm.gateway import LlmRequest

Reply = Callable[[httpx2.Request], httpx2.Response]


def llm_request(model: str = "claude-haiku-4-5", content: str = "hello") -> LlmRequest:
    """A minimal Messages request for the gateway."""
    return LlmRequest(
        model=model,
        max_tokens=100,
        system=[{"type": "text", "text": "policy"}],
        messages=[{"role": "user", "content": content}],
    )


RATE_HEADERS = {
    "anthropic-ratelimit-requests-limit": "600",
    "anthropic-ratelimit-requests-remaining": "599",
    "anthropic-ratelimit-requests-reset": "2026-11-24T00:00:00Z",
}


def message_body(model: str = "claude-haiku-4-5") -> dict[str, object]:
    return {
        "id": "msg_unit_1",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [
            {"type": "tool_use", "id": "toolu_1", "name": "record_verdict", "input": {"a": 1}}
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 120, "output_tokens": 30},
    }


def ok(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(200, json=message_body(), headers=RATE_HEADERS)


def status(code: int, retry_after: str | None = None) -> Reply:
    kinds = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error"}
    headers = {"retry-after": retry_after} if retry_after is not None else {}

    def reply(request: httpx2.Request) -> httpx2.Response:
        body = {"type": "error", "error": {"type": kinds.get(code, "api_error"), "message": "x"}}
        return httpx2.Response(code, json=body, headers=headers)

    return reply


def drop(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ConnectError("connection dropped", request=request)


@dataclass
class FakeApi:
    """Answers with the scripted replies in order (the last one repeats)."""

    script: list[Reply] = field(default_factory=lambda: [ok])
    requests: list[httpx2.Request] = field(default_factory=list)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        reply = self.script[min(len(self.requests), len(self.script)) - 1]
        return reply(request)

    def bodies(self) -> list[dict[str, object]]:
        return [json.loads(r.content) for r in self.requests]


class FakeTime:
    """Clock and sleep in one: sleeping moves the clock, nothing really waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
