"""The model client on either HTTP transport, against the simulated API over real sockets.

The worker puts the SDK's aiohttp client under its model calls (``MODERATION_HTTP_TRANSPORT``,
for CPU); httpx is the SDK's default. Every way a call can end must be classified the same on
both: an answer, an error that belongs to the item, a configuration error that stops the
worker, and genuine unavailability (server errors, a dropped connection, a timeout).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from opentelemetry.sdk.trace import TracerProvider

from moderation.errors import ConfigurationError
from moderation.llm.classify import Classifier
from moderation.llm.gateway import CallContext, ModelGateway, Resilience, build_client
from moderation.llm.judge import Judgement, JudgementKind, JudgeRequest, TierConfig
from moderation.llm.retry import RetryPolicy
from moderation.policy import PolicyBook
from moderation_contracts import ModerationRequest, Tier
from moderation_dev.simulator.config import SimConfig
from moderation_dev.simulator.testing import running_simulator

TRANSPORTS = ("aiohttp", "httpx")
POLICY = PolicyBook.load(None).default
TRACER = TracerProvider().get_tracer("test")


@pytest.fixture
async def sim_url() -> AsyncIterator[str]:
    async with running_simulator(SimConfig.instant(retry_after_s=0.01)) as sim:
        yield sim.base_url


async def classify(url: str, transport: str, text: str, timeout_s: float = 5.0) -> Judgement:
    client = build_client("sk-test", url, timeout_s=timeout_s, transport=transport)
    retry = RetryPolicy(max_retries=1, base_delay_s=0.001, max_delay_s=0.01)
    gateway = ModelGateway(client, TRACER, resilience=Resilience(timeout_s=timeout_s, retry=retry))
    classifier = Classifier(gateway, TierConfig(Tier.HAIKU, "claude-haiku-4-5", 300))
    request = ModerationRequest(
        content_id="c1", tenant_id="acme", text=text, submitted_at=datetime.now(UTC)
    )
    try:
        return await classifier.classify(
            JudgeRequest(request, POLICY, CallContext(stage="triage", content_id="c1"))
        )
    finally:
        await client.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("a photo of my garden in spring", JudgementKind.JUDGED),
        ("[[sim: haiku=status:400]] an item the API rejects", JudgementKind.REJECTED),
        ("[[sim: haiku=status:413]] an item too large", JudgementKind.REJECTED),
        ("[[sim: haiku=status:529]] overloaded", JudgementKind.UNAVAILABLE),
        ("[[sim: haiku=status:500]] server error", JudgementKind.UNAVAILABLE),
        ("[[sim: haiku=drop]] the connection drops", JudgementKind.UNAVAILABLE),
    ],
)
async def test_each_ending_is_classified_the_same_on_both_transports(
    sim_url: str, transport: str, text: str, kind: JudgementKind
) -> None:
    assert (await classify(sim_url, transport, text)).kind is kind


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_call_past_its_timeout_is_unavailable_not_stuck(
    sim_url: str, transport: str
) -> None:
    judgement = await classify(
        sim_url, transport, "[[sim: haiku=latency:3000]] slow", timeout_s=0.3
    )
    assert judgement.kind is JudgementKind.UNAVAILABLE


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("status", [401, 403])
async def test_a_rejected_key_is_a_configuration_error(
    sim_url: str, transport: str, status: int
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        await classify(sim_url, transport, f"[[sim: haiku=status:{status}]] x")
    assert raised.value.status == status


def test_an_unknown_transport_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="aiohttp or httpx"):
        build_client("sk-test", "http://api.invalid", timeout_s=1, transport="curl")
