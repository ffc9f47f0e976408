"""``GET /v1/models``: the free endpoint the worker asks at start, as the real API has it."""

from __future__ import annotations

import anthropic

from moderation.llm.reachability import check_api
from moderation_dev.devkafka import free_port
from moderation_dev.simulator.config import SimConfig
from moderation_dev.simulator.testing import running_simulator


async def test_the_sdk_lists_the_models_the_service_uses() -> None:
    async with running_simulator(SimConfig.instant()) as sim:
        client = anthropic.AsyncAnthropic(api_key="sk-test", base_url=sim.base_url)
        ids = [model.id async for model in client.models.list()]
        assert {"claude-haiku-4-5", "claude-sonnet-4-6"} <= set(ids)
        one = await client.models.retrieve("claude-haiku-4-5")
        assert one.id == "claude-haiku-4-5"
        result = await check_api(client)
        await client.close()
    assert result.ok, result.detail


async def test_a_wrong_key_and_no_server_are_told_apart() -> None:
    async with running_simulator(SimConfig.instant()) as sim:
        wrong_key = anthropic.AsyncAnthropic(
            api_key="sk-invalid-key", base_url=sim.base_url, max_retries=0
        )
        refused = await check_api(wrong_key)
        await wrong_key.close()
    assert refused.rejected_key, refused.detail
    nobody = anthropic.AsyncAnthropic(
        api_key="sk-test", base_url=f"http://127.0.0.1:{free_port()}", max_retries=0
    )
    down = await check_api(nobody)
    await nobody.close()
    assert not down.ok
    assert not down.rejected_key
    assert "cannot be reached" in down.detail
