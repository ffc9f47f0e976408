"""One place that talks to the Anthropic SDK: timeouts, error mapping, spans, usage and cost.

The SDK already retries 408/409/429/5xx, connection errors and timeouts with ``retry-after``
honoured (``max_retries``); this adapter adds no second retry loop. What is still failing after
the SDK's retries becomes :class:`~moderation.errors.TierUnavailable`, which the stages route by
the policy's fail mode.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anthropic
from opentelemetry.trace import Tracer

from moderation.errors import ConfigurationError, TierUnavailable
from moderation.pricing import Cost, PriceTable, TokenUsage
from moderation.telemetry import Metrics
from moderation.telemetry.genai import llm_span


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


@dataclass(frozen=True)
class LlmReply:
    model: str
    response_id: str
    stop_reason: str | None
    tool_input: object | None
    usage: TokenUsage
    cost: Cost
    latency_ms: float
    refusal_category: str | None = None


@dataclass(frozen=True)
class CallContext:
    """Labels for spans and metrics; never the content itself."""

    stage: str
    tenant_id: str | None = None
    content_id: str | None = None
    content_hash: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


def build_client(
    api_key: str | None,
    base_url: str | None,
    *,
    timeout_s: float,
    max_retries: int,
) -> anthropic.AsyncAnthropic:
    """The async client; our own spans replace the SDK's, so its tracing is off."""
    return anthropic.AsyncAnthropic(
        api_key=api_key,
        base_url=base_url,
        timeout=timeout_s,
        max_retries=max_retries,
        open_telemetry=False,
    )


class ModelGateway:
    """Calls one model through the SDK and reports each call as one ``chat <model>`` span."""

    def __init__(
        self,
        client: anthropic.AsyncAnthropic,
        tracer: Tracer,
        *,
        prices: PriceTable | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._client = client
        self._tracer = tracer
        self._prices = prices or PriceTable.default()
        self._metrics = metrics
        self._server = client.base_url.host

    async def create(self, request: LlmRequest, context: CallContext) -> LlmReply:
        kwargs: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens,
            "system": list(request.system),
            "messages": list(request.messages),
        }
        if request.tools:
            kwargs["tools"] = list(request.tools)
        if request.tool_choice is not None:
            kwargs["tool_choice"] = dict(request.tool_choice)
        if request.thinking_budget:
            kwargs["thinking"] = {"type": "enabled", "budget_tokens": request.thinking_budget}
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
                message = await self._client.messages.create(**kwargs)
            except anthropic.APIStatusError as error:
                call.record_error(type(error).__name__)
                raise _map_status_error(request.model, error) from error
            except anthropic.APIConnectionError as error:  # includes APITimeoutError
                call.record_error(type(error).__name__)
                raise TierUnavailable(request.model, type(error).__name__) from error
            cost = call.record_response(
                message.model, message.id, message.stop_reason, message.usage
            )
        latency_ms = (time.perf_counter() - started) * 1000
        tool_input = next(
            (block.input for block in message.content if block.type == "tool_use"), None
        )
        details = getattr(message, "stop_details", None)
        return LlmReply(
            model=message.model,
            response_id=message.id,
            stop_reason=message.stop_reason,
            tool_input=tool_input,
            usage=TokenUsage.of(message.usage),
            cost=cost,
            latency_ms=latency_ms,
            refusal_category=getattr(details, "category", None),
        )


def _map_status_error(model: str, error: anthropic.APIStatusError) -> Exception:
    status = error.status_code
    if status in (401, 403):
        return ConfigurationError(
            f"the Anthropic API rejected the credentials ({status}); check ANTHROPIC_API_KEY"
        )
    # 400/404/413 mean this request cannot succeed as sent; 402 (billing), 429 and 5xx mean the
    # tier cannot serve now. Either way the item moves on by the policy's fail mode.
    return TierUnavailable(model, f"HTTP {status} {type(error).__name__}", status=status)
