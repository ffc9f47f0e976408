"""The gateway over the real SDK: one retry loop, retry-after honoured, budget, circuit, pacing."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from moderation.errors import ConfigurationError, ItemRejected, TierUnavailable
from moderation.llm.circuit import CircuitConfig, CircuitState
from moderation.llm.gateway import ATTEMPTS_ATTRIBUTE, CallContext, Resilience
from moderation.llm.ratelimit import RateLimitWait
from moderation.llm.retry import RetryPolicy
from tests.support.llm import RATE_HEADERS, FakeApi, FakeTime, drop, llm_request, ok, status
from tests.unit.llm.conftest import GatewayFactory

MODEL = "claude-haiku-4-5"
CONTEXT = CallContext(stage="triage", tenant_id="acme", content_id="c-1")


async def test_a_429_is_retried_after_its_retry_after_in_one_span(
    api: FakeApi,
    fake_time: FakeTime,
    make_gateway: GatewayFactory,
    spans: InMemorySpanExporter,
) -> None:
    api.script = [status(429, retry_after="2"), ok]
    gateway = make_gateway()
    reply = await gateway.create(llm_request(), CONTEXT)
    assert reply.response_id == "msg_unit_1"
    assert len(api.requests) == 2
    # The limiter's pause and the retry wait are the same 2 s; nothing is waited twice.
    assert sum(fake_time.slept) == pytest.approx(2.0)
    (span,) = spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes[ATTEMPTS_ATTRIBUTE] == 2


async def test_retries_are_bounded_and_never_stack_on_the_sdk(
    api: FakeApi, fake_time: FakeTime, make_gateway: GatewayFactory, spans: InMemorySpanExporter
) -> None:
    api.script = [status(529)]
    gateway = make_gateway(Resilience(retry=RetryPolicy(max_retries=2, base_delay_s=0.5)))
    with pytest.raises(TierUnavailable) as raised:
        await gateway.create(llm_request(), CONTEXT)
    assert len(api.requests) == 3, "1 attempt + 2 retries, and the SDK adds none"
    assert fake_time.slept == [0.5, 1.0]
    assert raised.value.status == 529
    assert "after 3 attempt(s)" in str(raised.value)
    (span,) = spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["error.type"] == "OverloadedError", "the span names the 529 cause"
    assert not span.status.is_ok


async def test_the_budget_cuts_retries_short(
    api: FakeApi, fake_time: FakeTime, make_gateway: GatewayFactory
) -> None:
    api.script = [status(429, retry_after="4")]
    policy = RetryPolicy(max_retries=5, budget_s=10.0, retry_after_max_s=30)
    gateway = make_gateway(Resilience(retry=policy))
    with pytest.raises(TierUnavailable):
        await gateway.create(llm_request(), CONTEXT)
    assert len(api.requests) == 3  # waits at 4 s and 8 s; a third wait would pass 10 s
    assert fake_time.now - 1000.0 < 10.0


async def test_each_attempt_gets_a_timeout_inside_the_budget(
    api: FakeApi, fake_time: FakeTime, make_gateway: GatewayFactory
) -> None:
    policy = RetryPolicy(budget_s=3.0)
    gateway = make_gateway(Resilience(timeout_s=15.0, retry=policy))
    await gateway.create(llm_request(), CONTEXT)
    timeout = api.requests[0].extensions["timeout"]
    assert max(v for v in timeout.values() if v is not None) <= 3.0


async def test_dropped_connections_are_retried(api: FakeApi, make_gateway: GatewayFactory) -> None:
    api.script = [drop, drop, ok]
    reply = await make_gateway().create(llm_request(), CONTEXT)
    assert reply.stop_reason == "tool_use"
    assert len(api.requests) == 3


@pytest.mark.parametrize("code", [400, 404, 413, 422])
async def test_errors_of_one_item_reject_the_item_not_the_tier(
    api: FakeApi, make_gateway: GatewayFactory, code: int
) -> None:
    api.script = [status(code)]
    gateway = make_gateway(Resilience(circuit=CircuitConfig(failure_threshold=1)))
    for _ in range(3):
        with pytest.raises(ItemRejected) as raised:
            await gateway.create(llm_request(), CONTEXT)
        assert raised.value.status == code
        assert not isinstance(raised.value, TierUnavailable)  # only unavailability fails open
    assert len(api.requests) == 3  # never retried
    assert gateway.circuit(MODEL).state is CircuitState.CLOSED


@pytest.mark.parametrize(
    ("code", "hint"), [(401, "ANTHROPIC_API_KEY"), (402, "billing"), (403, "permission")]
)
async def test_rejected_credentials_billing_and_permissions_are_configuration_errors(
    api: FakeApi, make_gateway: GatewayFactory, code: int, hint: str
) -> None:
    api.script = [status(code)]
    with pytest.raises(ConfigurationError, match=hint) as raised:
        await make_gateway().create(llm_request(), CONTEXT)
    assert raised.value.status == code
    assert len(api.requests) == 1


async def test_the_circuit_opens_fails_fast_and_probes_after_the_cool_down(
    api: FakeApi, fake_time: FakeTime, make_gateway: GatewayFactory
) -> None:
    api.script = [status(529)]
    resilience = Resilience(
        retry=RetryPolicy(max_retries=0), circuit=CircuitConfig(failure_threshold=2, cool_down_s=30)
    )
    gateway = make_gateway(resilience)
    for _ in range(2):
        with pytest.raises(TierUnavailable):
            await gateway.create(llm_request(), CONTEXT)
    assert gateway.circuit(MODEL).state is CircuitState.OPEN
    with pytest.raises(TierUnavailable, match="circuit open"):
        await gateway.create(llm_request(), CONTEXT)
    assert len(api.requests) == 2, "an open circuit makes no HTTP call"
    fake_time.now += 30
    api.script = [ok]
    api.requests.clear()
    await gateway.create(llm_request(), CONTEXT)
    assert gateway.circuit(MODEL).state is CircuitState.CLOSED
    assert len(api.requests) == 1


async def test_rate_limit_headers_pace_later_calls(
    api: FakeApi, fake_time: FakeTime, make_gateway: GatewayFactory
) -> None:
    headers = {**RATE_HEADERS, "anthropic-ratelimit-requests-limit": "60"}
    headers["anthropic-ratelimit-requests-remaining"] = "0"

    def exhausted(request: object) -> object:
        response = ok(request)  # type: ignore[arg-type]
        response.headers.update(headers)
        return response

    api.script = [exhausted]  # type: ignore[list-item]
    gateway = make_gateway(Resilience(rate_limit_max_wait_s=5))
    await gateway.create(llm_request(), CONTEXT)
    assert fake_time.slept == []
    await gateway.create(llm_request(), CONTEXT)
    assert fake_time.slept == [pytest.approx(1.0)], "60 per minute: the next slot is 1 s away"


async def test_a_local_wait_beyond_the_bound_fails_fast(
    api: FakeApi, fake_time: FakeTime, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway(Resilience(rate_limit_max_wait_s=1.0))
    gateway.limiter(MODEL).pause(60)
    with pytest.raises(RateLimitWait):
        await gateway.create(llm_request(), CONTEXT)
    assert api.requests == []
    assert gateway.circuit(MODEL).state is CircuitState.CLOSED
