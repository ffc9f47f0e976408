"""What each call leaves behind besides its span: prompt-cache hit ratio, refusals by category,
and one DEBUG line with model, tokens, latency and stop reason (never the content)."""

from __future__ import annotations

import logging
import re

import httpx2
import pytest

from moderation.llm.gateway import CallContext
from moderation.telemetry import Telemetry
from tests.support.llm import RATE_HEADERS, FakeApi, llm_request, message_body
from tests.unit.llm.conftest import GatewayFactory

MODEL = "claude-haiku-4-5"
CONTENT = "zebra-canary-5521 the user's words"
CONTEXT = CallContext(stage="triage", tenant_id="acme", content_id="c-1")


def reply(cache_read: int = 0, refusal: str | None = None) -> httpx2.Response:
    body = message_body()
    body["usage"] = {
        "input_tokens": 120,
        "output_tokens": 30,
        "cache_read_input_tokens": cache_read,
    }
    if refusal is not None:
        body["stop_reason"] = "refusal"
        body["content"] = [{"type": "text", "text": f"I will not judge {CONTENT}"}]
        body["stop_details"] = {"type": "refusal", "category": refusal}
    return httpx2.Response(200, json=body, headers=RATE_HEADERS)


def metric(page: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in page.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_prompt_cache_hit_ratio_and_refusals_by_category(
    api: FakeApi, make_gateway: GatewayFactory, telemetry: Telemetry
) -> None:
    api.script = [
        lambda _: reply(cache_read=0),
        lambda _: reply(cache_read=4000),
        lambda _: reply(cache_read=4000),
        lambda _: reply(cache_read=4000, refusal="cyber"),
    ]
    gateway = make_gateway()
    for _ in range(4):
        await gateway.create(llm_request(MODEL, CONTENT), CONTEXT)
    page = telemetry.render_metrics().body.decode()
    calls = "moderation_llm_prompt_cache_calls_total"
    assert metric(page, calls, moderation_result="hit") == 3
    assert metric(page, calls, moderation_result="miss") == 1
    ratio = "moderation_llm_prompt_cache_hit_ratio"
    assert metric(page, ratio, gen_ai_request_model=MODEL, moderation_stage="triage") == 0.75
    refusals = "moderation_llm_refusals_total"
    assert metric(page, refusals, moderation_refusal_category="cyber") == 1


async def test_each_call_logs_one_debug_line_with_numbers_never_content(
    api: FakeApi, make_gateway: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    api.script = [lambda _: reply(cache_read=4000, refusal="cyber")]
    caplog.set_level(logging.DEBUG, logger="moderation.llm.gateway")
    await make_gateway().create(llm_request(MODEL, CONTENT), CONTEXT)
    lines = [r.getMessage() for r in caplog.records if r.name == "moderation.llm.gateway"]
    assert len(lines) == 1
    (line,) = lines
    assert f"model={MODEL}" in line
    assert "input_tokens=120 output_tokens=30 cache_read_tokens=4000" in line
    assert re.search(r"latency_ms=\d+\.\d", line)
    assert "stop_reason=refusal" in line
    assert "zebra-canary" not in line
