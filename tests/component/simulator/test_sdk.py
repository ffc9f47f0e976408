"""The simulator driven by the official anthropic SDK (async), over real loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import anthropic
import jsonschema
import pytest
from anthropic.types import Message, ToolParam, ToolUseBlock

from moderation_dev.simulator.config import SimConfig
from moderation_dev.simulator.testing import RunningSimulator, running_simulator
from tests.support.schemas import VERDICT_SCHEMA

SCHEMA = VERDICT_SCHEMA
TOOL: ToolParam = {"name": "record_verdict", "description": "Record it.", "input_schema": SCHEMA}


_OPEN: list[anthropic.AsyncAnthropic] = []


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    yield
    while _OPEN:
        await _OPEN.pop().close()


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with running_simulator(SimConfig.instant(retry_after_s=1.0)) as running:
        yield running


def _client(sim: RunningSimulator, retries: int = 0) -> anthropic.AsyncAnthropic:
    client = anthropic.AsyncAnthropic(
        api_key="test", base_url=sim.base_url, max_retries=retries, open_telemetry=False, timeout=10
    )
    _OPEN.append(client)
    return client


async def _verdict(
    client: anthropic.AsyncAnthropic, text: str, model: str = "claude-haiku-4-5"
) -> Message:
    return await client.messages.create(
        model=model,
        max_tokens=1_000,
        tools=[TOOL],
        tool_choice={"type": "tool", "name": "record_verdict"},
        messages=[{"role": "user", "content": f"<moderated_content>{text}</moderated_content>"}],
    )


def _tool_input(message: Message) -> dict[str, object]:
    block = message.content[0]
    assert isinstance(block, ToolUseBlock)
    return dict(block.input)


async def test_forced_tool_call_follows_markers_and_schema(sim: RunningSimulator) -> None:
    client = _client(sim)
    text = "ok [[sim: haiku=flag:hate:high:0.8; sonnet=allow]]"
    haiku = await _verdict(client, text)
    sonnet = await _verdict(client, text, "claude-sonnet-4-6")
    assert haiku.stop_reason == sonnet.stop_reason == "tool_use"
    data = _tool_input(haiku)
    jsonschema.validate(data, SCHEMA)
    assert data["categories"] == [{"category": "hate", "severity": "high", "confidence": 0.8}]
    assert _tool_input(sonnet)["categories"] == []
    assert haiku.usage.input_tokens > 300  # tool schema and tool-use system prompt count


async def test_structured_output_and_headers(sim: RunningSimulator) -> None:
    raw = await _client(sim).messages.with_raw_response.create(
        model="claude-sonnet-4-6",
        max_tokens=500,
        output_config={"format": {"type": "json_schema", "schema": SCHEMA}},
        messages=[{"role": "user", "content": "I will kill you"}],
    )
    assert raw.headers["request-id"].startswith("req_")
    assert int(raw.headers["anthropic-ratelimit-requests-remaining"]) >= 0
    assert "anthropic-ratelimit-output-tokens-reset" in raw.headers
    message = await raw.parse()
    block = message.content[0]
    assert block.type == "text"
    data = json.loads(block.text)
    jsonschema.validate(data, SCHEMA)
    assert [c["category"] for c in data["categories"]] == ["violence"]


async def test_caching_on_second_call_with_long_prefix(sim: RunningSimulator) -> None:
    client = _client(sim)
    policy = "Policy: judge the content against every category carefully. " * 400
    usages = []
    for text in ("first item", "second item"):
        message = await client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=500,
            system=[{"type": "text", "text": policy, "cache_control": {"type": "ephemeral"}}],
            tools=[TOOL],
            tool_choice={"type": "tool", "name": "record_verdict"},
            messages=[{"role": "user", "content": text}],
        )
        usages.append(message.usage)
    first, second = usages
    assert first.cache_read_input_tokens == 0
    assert first.cache_creation_input_tokens is not None
    assert first.cache_creation_input_tokens >= 4_096
    assert first.cache_creation is not None
    assert first.cache_creation.ephemeral_5m_input_tokens == first.cache_creation_input_tokens
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == 0
    stats = sim.stats()["models"]["claude-haiku-4-5"]
    assert stats["cache_hits"] == 1
    assert stats["cache_read_input_tokens"] == second.cache_read_input_tokens


@pytest.mark.parametrize("status", [429, 529])
async def test_sdk_retries_and_honours_retry_after(sim: RunningSimulator, status: int) -> None:
    started = time.monotonic()
    message = await _verdict(_client(sim, retries=2), f"hi [[sim: all=status_once:{status}]]")
    elapsed = time.monotonic() - started
    assert message.stop_reason == "tool_use"
    faults = sim.stats()["models"]["claude-haiku-4-5"]["faults"]
    assert faults == {str(status): 1}
    if status == 429:
        assert elapsed >= 1.0  # retry-after: 1


async def test_errors_have_the_real_shape(sim: RunningSimulator) -> None:
    client = _client(sim)
    with pytest.raises(anthropic.OverloadedError):
        await client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=10,
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-simulate": "status=529"},
        )
    with pytest.raises(anthropic.BadRequestError, match="Tool 'missing' not found") as bad:
        await client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=10,
            tools=[TOOL],
            tool_choice={"type": "tool", "name": "missing"},
            messages=[{"role": "user", "content": "x"}],
        )
    assert bad.value.request_id is not None
    with pytest.raises(anthropic.BadRequestError, match="temperature"):
        await client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=10,
            messages=[{"role": "user", "content": "x"}],
            extra_body={"temperature": 0.5},
        )
    with pytest.raises(anthropic.NotFoundError):
        await client.messages.create(
            model="claude-unknown-1", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )


async def test_api_key_and_old_version_headers(sim: RunningSimulator) -> None:
    body = {
        "model": "claude-haiku-4-5",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "x"}],
    }
    url = f"{sim.base_url}/v1/messages"
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, json=body, headers={"anthropic-version": "2023-06-01"}
        ) as no_key:
            assert no_key.status == 401
            error = await no_key.json()
        old_style = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
        async with session.post(url, json={**body, "temperature": 0.3}, headers=old_style) as ok:
            assert ok.status == 200
            assert (await ok.json())["type"] == "message"
    assert error["type"] == "error"
    assert error["error"]["type"] == "authentication_error"
    assert error["request_id"].startswith("req_")


async def test_refusal_malformed_drop_and_timeout(sim: RunningSimulator) -> None:
    client = _client(sim)
    refused = await _verdict(client, "x [[sim: sonnet=refuse]]", "claude-sonnet-4-6")
    assert refused.stop_reason == "refusal"
    assert refused.stop_details is not None
    once = "y [[sim: haiku=malformed_once]]"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_tool_input(await _verdict(client, once)), SCHEMA)
    jsonschema.validate(_tool_input(await _verdict(client, once)), SCHEMA)
    with pytest.raises(anthropic.APIConnectionError):
        await _verdict(client, "z [[sim: all=drop]]")
    with pytest.raises(anthropic.APITimeoutError):
        await client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=10,
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-simulate": "latency_ms=1500"},
            timeout=0.3,
        )
    stats = sim.stats()["models"]
    assert stats["claude-sonnet-4-6"]["refusals"] == 1
    assert stats["claude-haiku-4-5"]["malformed"] == 1
    assert stats["claude-haiku-4-5"]["faults"]["drop"] == 1
    sim.reset()
    assert sim.stats()["requests_total"] == 0


async def test_count_tokens_matches_usage(sim: RunningSimulator) -> None:
    client = _client(sim)
    counted = await client.messages.count_tokens(
        model="claude-sonnet-4-6", messages=[{"role": "user", "content": "hello there " * 50}]
    )
    message = await client.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=100,
        messages=[{"role": "user", "content": "hello there " * 50}],
    )
    assert counted.input_tokens == message.usage.input_tokens


async def test_rate_limit_headers_and_429() -> None:
    async with running_simulator(SimConfig.instant(rpm=2)) as sim:
        client = _client(sim)
        for _ in range(2):
            await client.messages.create(
                model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": "x"}]
            )
        with pytest.raises(anthropic.RateLimitError) as limited:
            await client.messages.create(
                model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": "x"}]
            )
        headers = limited.value.response.headers
        assert headers["anthropic-ratelimit-requests-limit"] == "2"
        assert headers["anthropic-ratelimit-requests-remaining"] == "0"
        assert int(headers["retry-after"]) >= 1
        assert sim.stats()["models"]["claude-haiku-4-5"]["rate_limited"] == 1


async def test_batch_runs_to_completion() -> None:
    async with running_simulator(SimConfig.instant(batch_delay_s=0.3)) as sim:
        client = _client(sim)
        params = {
            "model": "claude-haiku-4-5",
            "max_tokens": 500,
            "tools": [TOOL],
            "tool_choice": {"type": "tool", "name": "record_verdict"},
        }
        requests = [
            {
                "custom_id": f"item-{i}",
                "params": {**params, "messages": [{"role": "user", "content": text}]},
            }
            for i, text in enumerate(["fine", "I will kill you", "x [[sim: all=status:529]]"])
        ]
        with pytest.raises(anthropic.BadRequestError, match="custom_id"):
            await client.messages.batches.create(
                requests=[{"custom_id": "bad id!", "params": params}]
            )  # type: ignore[typeddict-item]
        batch = await client.messages.batches.create(requests=requests)  # type: ignore[arg-type]
        assert batch.processing_status == "in_progress"
        assert batch.results_url is None
        while batch.processing_status != "ended":
            await asyncio.sleep(0.1)
            batch = await client.messages.batches.retrieve(batch.id)
        assert batch.request_counts.succeeded == 2
        assert batch.request_counts.errored == 1
        assert batch.results_url is not None
        assert batch.results_url.startswith(sim.base_url)
        results = {
            r.custom_id: r.result async for r in await client.messages.batches.results(batch.id)
        }
        assert set(results) == {"item-0", "item-1", "item-2"}
        assert results["item-2"].type == "errored"
        hit = results["item-1"]
        assert hit.type == "succeeded"
        assert hit.message.usage.service_tier == "batch"
        assert _tool_input(hit.message)["categories"][0]["category"] == "violence"  # type: ignore[index]
        listed = [b.id async for b in client.messages.batches.list(limit=1)]
        assert listed == [batch.id]
        deleted = await client.messages.batches.delete(batch.id)
        assert deleted.type == "message_batch_deleted"
