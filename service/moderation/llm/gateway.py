"""One place that talks to the Anthropic SDK: timeouts, retries, pacing, circuits, errors, spans.

One call = one ``chat <model>`` span, whatever happens inside it:

1. the model's circuit breaker is asked first; when open, the call fails at once;
2. the model's adaptive limiter is asked for capacity (a bounded wait);
3. the attempt runs with its own timeout, never past the call's budget; every response's
   ``anthropic-ratelimit-*`` headers resize the limiter, a 429's ``retry-after`` pauses it;
4. retryable failures (408/409/429/5xx, timeouts, dropped connections) are retried by
   :class:`~moderation.llm.retry.RetryPolicy` only; the SDK's own retries are off, so the two
   never stack.

What still fails is classified in one place (:func:`classify_status`):

- genuine unavailability (timeouts, 429/5xx after retries, an open circuit) becomes
  :class:`~moderation.errors.TierUnavailable`; the stages route it by the policy's fail mode;
- an error that belongs to the one item (400/404/413 and other 4xx) becomes
  :class:`~moderation.errors.ItemRejected`; the item moves up the ladder, never allowed;
- rejected credentials, billing or permissions (401/402/403) become
  :class:`~moderation.errors.ConfigurationError`; the worker stops taking work.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anthropic
from opentelemetry.trace import Tracer

from moderation.errors import (
    CONFIGURATION_STATUSES,
    ConfigurationError,
    ItemRejected,
    TierUnavailable,
)
from moderation.llm.circuit import CircuitBreaker, CircuitConfig, CircuitState
from moderation.llm.ratelimit import AdaptiveLimiter, Demand, RateLimitWait, estimate_input_tokens
from moderation.llm.replies import LlmReply, reply_of
from moderation.llm.retry import RetryPolicy, is_retryable_status, retry_after_s
from moderation.log_privacy import cap_payload_loggers
from moderation.pricing import PriceTable
from moderation.settings import ModelTier
from moderation.telemetry import Metrics
from moderation.telemetry.genai import llm_span

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LlmRequest:
    """A Messages API call, minus the parts the gateway owns (timeouts, retries)."""

    model: str
    max_tokens: int
    system: Sequence[Mapping[str, Any]]
    messages: Sequence[Mapping[str, Any]]
    tools: Sequence[Mapping[str, Any]] = ()
    tool_choice: Mapping[str, Any] | None = None
    thinking_budget: int = 0

    def body(self) -> dict[str, Any]:
        """The Messages API request body (also a batch request's ``params``)."""
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": list(self.system),
            "messages": list(self.messages),
        }
        if self.tools:
            body["tools"] = list(self.tools)
        if self.tool_choice is not None:
            body["tool_choice"] = dict(self.tool_choice)
        if self.thinking_budget:
            body["thinking"] = {"type": "enabled", "budget_tokens": self.thinking_budget}
        return body


@dataclass(frozen=True)
class CallContext:
    """Labels for spans and metrics; never the content itself."""

    stage: str
    tenant_id: str | None = None
    content_id: str | None = None
    content_hash: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Resilience:
    """How the gateway protects itself and the API (one set per tier, applied per model)."""

    timeout_s: float = 15.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    circuit: CircuitConfig = field(default_factory=CircuitConfig)
    adaptive_rate_limit: bool = True
    rate_limit_max_wait_s: float = 10.0

    @classmethod
    def of(cls, tier: ModelTier) -> Resilience:
        return cls(
            timeout_s=tier.timeout_s,
            retry=RetryPolicy(
                max_retries=tier.max_retries,
                budget_s=tier.call_budget_s,
                base_delay_s=tier.backoff_base_s,
                max_delay_s=tier.backoff_max_s,
                retry_after_max_s=tier.retry_after_max_s,
            ),
            circuit=CircuitConfig(tier.circuit_failure_threshold, tier.circuit_cool_down_s),
            adaptive_rate_limit=tier.rate_limit_adaptive,
            rate_limit_max_wait_s=tier.rate_limit_max_wait_s,
        )


def build_client(
    api_key: str | None,
    base_url: str | None,
    *,
    timeout_s: float,
    max_retries: int = 0,
    transport: str = "httpx",
) -> anthropic.AsyncAnthropic:
    """The async client; our own spans replace the SDK's, so its tracing is off.

    Keep ``max_retries=0`` for a client used by :class:`ModelGateway`: the gateway retries.
    ``transport="aiohttp"`` puts the SDK's own ``DefaultAioHttpClient`` under it: the same
    requests and errors, without httpx's connection pool, which probes every idle connection on
    each request (a quarter of the worker's CPU at a window of 256). Its session is bound to the
    event loop of its first request, so use it only from one loop (the worker's).
    """
    cap_payload_loggers()  # at DEBUG the SDK would log request bodies (the content)
    http_client = None
    if transport == "aiohttp":
        http_client = anthropic.DefaultAioHttpClient(timeout=timeout_s)
    elif transport != "httpx":
        raise ValueError(f"unknown HTTP transport {transport!r}: use aiohttp or httpx")
    return anthropic.AsyncAnthropic(
        api_key=api_key,
        base_url=base_url,
        timeout=timeout_s,
        max_retries=max_retries,
        open_telemetry=False,
        http_client=http_client,
    )


@dataclass
class _Attempt:
    """What one failed attempt left behind, for the retry decision."""

    error: Exception
    retry_after: float | None = None


class ModelGateway:
    """Calls models through the SDK and reports each call as one ``chat <model>`` span."""

    def __init__(
        self,
        client: anthropic.AsyncAnthropic,
        tracer: Tracer,
        *,
        prices: PriceTable | None = None,
        metrics: Metrics | None = None,
        resilience: Resilience | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self._tracer = tracer
        self._prices = prices or PriceTable.default()
        self._metrics = metrics
        self._server = client.base_url.host
        self.resilience = resilience or Resilience()
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._circuits: dict[str, CircuitBreaker] = {}
        self._limiters: dict[str, AdaptiveLimiter] = {}

    def circuit(self, model: str) -> CircuitBreaker:
        """The model's circuit breaker (made on first use)."""
        if model not in self._circuits:
            self._circuits[model] = CircuitBreaker(model, self.resilience.circuit, self._clock)
        return self._circuits[model]

    def limiter(self, model: str) -> AdaptiveLimiter:
        """The model's adaptive rate limiter (made on first use)."""
        if model not in self._limiters:
            self._limiters[model] = AdaptiveLimiter(model, self._clock)
        return self._limiters[model]

    async def create(self, request: LlmRequest, context: CallContext) -> LlmReply:
        kwargs = request.body()
        started = time.perf_counter()
        with llm_span(
            self._tracer,
            request.model,
            stage=context.stage,
            tenant_id=context.tenant_id,
            content_id=context.content_id,
            content_hash=context.content_hash,
            prices=self._prices,
            metrics=self._metrics,
            server_address=self._server,
        ) as call:
            try:
                message, attempts = await self._call_with_retries(request, kwargs)
            except (TierUnavailable, ItemRejected, ConfigurationError) as error:
                cause = error.__cause__ or error
                call.record_error(type(cause).__name__)
                _log.debug(
                    "llm call stage=%s model=%s failed: %s after %.1f ms",
                    context.stage,
                    request.model,
                    type(cause).__name__,
                    (time.perf_counter() - started) * 1000,
                )
                raise
            call.span.set_attribute(ATTEMPTS_ATTRIBUTE, attempts)
            cost = call.record_response(
                message.model, message.id, message.stop_reason, message.usage
            )
        reply = reply_of(message, cost, (time.perf_counter() - started) * 1000)
        usage, category = reply.usage, reply.refusal_category
        if message.stop_reason == "refusal" and self._metrics is not None:
            self._metrics.refusal(request.model, context.stage, category)
        # One line per call, numbers and labels only: the request and the answer stay out.
        _log.debug(
            "llm call stage=%s model=%s response_model=%s input_tokens=%d output_tokens=%d "
            "cache_read_tokens=%d cache_write_tokens=%d latency_ms=%.1f attempts=%d "
            "stop_reason=%s",
            context.stage,
            request.model,
            message.model,
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_read_tokens,
            usage.cache_write_tokens,
            reply.latency_ms,
            attempts,
            message.stop_reason,
        )
        return reply

    async def _call_with_retries(
        self, request: LlmRequest, kwargs: dict[str, Any]
    ) -> tuple[anthropic.types.Message, int]:
        model = request.model
        circuit = self.circuit(model)
        if not circuit.allow():
            raise TierUnavailable(model, f"circuit open (next probe in {circuit.retry_in():.0f}s)")
        policy = self.resilience.retry
        deadline = self._clock() + policy.budget_s
        demand = Demand(
            input_tokens=estimate_input_tokens(request.messages),
            output_tokens=request.max_tokens,
        )
        settled = False
        try:
            attempt = 0
            while True:
                attempt += 1
                try:
                    message = await self._attempt(model, kwargs, demand, deadline)
                except _Retryable as failed:
                    retry = attempt  # the number of the retry that would come next
                    wait = policy.next_delay(
                        retry, failed.attempt.retry_after, self._jitter(), deadline - self._clock()
                    )
                    if wait is None or circuit.state is CircuitState.OPEN:
                        circuit.record_failure()
                        settled = True
                        raise _unavailable(model, failed.attempt.error, attempt) from (
                            failed.attempt.error
                        )
                    await self._sleep(wait)
                    continue
                except RateLimitWait:
                    circuit.abandon()  # our own pacing says nothing about the API's health
                    settled = True
                    raise
                except (TierUnavailable, ItemRejected, ConfigurationError):
                    circuit.record_success()  # the API answered: it is up, the request is not
                    settled = True
                    raise
                circuit.record_success()
                settled = True
                return message, attempt
        finally:
            if not settled:  # cancelled (item deadline, shutdown): free a half-open probe slot
                circuit.abandon()

    async def _attempt(
        self, model: str, kwargs: dict[str, Any], demand: Demand, deadline: float
    ) -> anthropic.types.Message:
        """One HTTP attempt; raises _Retryable for what the retry policy should consider."""
        limiter = self.limiter(model) if self.resilience.adaptive_rate_limit else None
        if limiter is not None:
            budget_left = deadline - self._clock()
            await limiter.acquire(
                demand, min(self.resilience.rate_limit_max_wait_s, budget_left), self._sleep
            )
        timeout = min(self.resilience.timeout_s, max(0.1, deadline - self._clock()))
        try:
            raw = await self._client.messages.with_raw_response.create(**kwargs, timeout=timeout)
        except anthropic.APIStatusError as error:
            headers = error.response.headers
            if limiter is not None:
                limiter.observe(headers)
            status = error.status_code
            if not is_retryable_status(status):
                raise classify_status(model, status, type(error).__name__) from error
            wait = retry_after_s(headers)
            if limiter is not None and status == 429 and wait is not None:
                limiter.pause(wait)
            raise _Retryable(_Attempt(error, wait)) from error
        except anthropic.APIConnectionError as error:  # includes APITimeoutError
            raise _Retryable(_Attempt(error)) from error
        finally:  # answered or not (cancelled too): a probe without an answer is handed on
            if limiter is not None:
                limiter.attempt_ended()
        if limiter is not None:
            limiter.observe(raw.headers)
        message: anthropic.types.Message = await raw.parse()
        return message


ATTEMPTS_ATTRIBUTE = "moderation.llm.attempts"

_CONFIGURATION_HINTS = {
    401: "the API key was rejected; check ANTHROPIC_API_KEY",
    402: "billing: the account cannot pay for requests; check the organisation's plan",
    403: "permission denied: the API key may not use this model or endpoint",
}


def classify_status(model: str, status: int, error_name: str) -> ConfigurationError | ItemRejected:
    """A non-retryable HTTP error: the deployment's fault (401/402/403) or the item's (the rest).

    Never :class:`TierUnavailable`: only genuine unavailability may fail open.
    """
    if status in CONFIGURATION_STATUSES:
        return ConfigurationError(
            f"the Anthropic API answered {status} for {model}: {_CONFIGURATION_HINTS[status]}",
            status=status,
        )
    return ItemRejected(model, f"HTTP {status} {error_name}", status=status)


class _Retryable(Exception):
    """Internal signal from one attempt to the retry loop; never escapes the gateway."""

    def __init__(self, attempt: _Attempt) -> None:
        super().__init__(type(attempt.error).__name__)
        self.attempt = attempt


def _unavailable(model: str, error: Exception, attempts: int) -> TierUnavailable:
    status = error.status_code if isinstance(error, anthropic.APIStatusError) else None
    what = f"HTTP {status} {type(error).__name__}" if status else type(error).__name__
    return TierUnavailable(model, f"{what} after {attempts} attempt(s)", status=status)
