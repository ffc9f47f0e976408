"""The CLIENT span ``chat <model>`` of one LLM call, with GenAI usage and cost attributes.

One span per call: the lead disables the SDK's own spans (``AsyncAnthropic(open_telemetry=False)``).
Prompt and completion text never go on the span.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.util.types import AttributeValue

from moderation.pricing import Cost, PriceTable, TokenUsage, UsageLike
from moderation.telemetry import attributes as attr
from moderation.telemetry.metrics import Metrics
from moderation.telemetry.spans import current_span, mark_error

_log = logging.getLogger(__name__)
_warned_unpriced: set[str] = set()  # warn once per model, not once per call


@dataclass
class LlmCall:
    """Handle yielded by ``llm_span``: record the response or the error of the call."""

    span: Span
    request_model: str
    stage: str
    tenant_id: str | None
    batch: bool
    prices: PriceTable
    metrics: Metrics | None
    cost: Cost | None = None
    usage: TokenUsage | None = None
    error_type: str | None = None

    def record_response(
        self,
        response_model: str | None,
        response_id: str | None,
        stop_reason: str | None,
        usage: UsageLike,
    ) -> Cost:
        """Set response and usage attributes, price the call and return its ``Cost``.

        The price follows ``response_model`` (a dated snapshot resolves to its base model), or
        the request model when the response names none. An unknown model gives an explicit zero
        (``Cost.priced`` False, span attribute ``moderation.cost.unpriced``) and a warning.
        """
        tokens = TokenUsage.of(usage)
        priced_model = response_model or self.request_model
        cost = self.prices.cost_or_zero(priced_model, tokens, batch=self.batch)
        span_attributes: dict[str, AttributeValue] = {
            attr.GENAI_INPUT_TOKENS: tokens.prompt_tokens,
            attr.GENAI_OUTPUT_TOKENS: tokens.output_tokens,
            attr.GENAI_CACHE_READ_TOKENS: tokens.cache_read_tokens,
            attr.GENAI_CACHE_CREATION_TOKENS: tokens.cache_write_tokens,
            attr.GENAI_CACHE_WRITE_TOKENS: tokens.cache_write_tokens,
            attr.GENAI_COST: float(cost.total_usd),
            attr.GENAI_COST_AMOUNT: float(cost.total_usd),
            attr.GENAI_COST_CURRENCY: cost.currency,
        }
        if response_model:
            span_attributes[attr.GENAI_RESPONSE_MODEL] = response_model
        if response_id:
            span_attributes[attr.GENAI_RESPONSE_ID] = response_id
        if stop_reason:
            span_attributes[attr.GENAI_FINISH_REASONS] = (stop_reason,)
        if not cost.priced:
            span_attributes[attr.COST_UNPRICED] = True
            if priced_model not in _warned_unpriced:
                _warned_unpriced.add(priced_model)
                _log.warning("no price for model %s; its calls are costed at 0", priced_model)
        self.span.set_attributes(span_attributes)
        self.cost, self.usage = cost, tokens
        if self.metrics is not None:
            self.metrics.tokens(self.request_model, self.stage, tokens)
            self.metrics.prompt_cache(self.request_model, self.stage, tokens.cache_read_tokens > 0)
            if self.tenant_id is not None:
                self.metrics.cost(self.tenant_id, self.stage, cost)
        return cost

    def record_error(self, exc_or_type: BaseException | str) -> None:
        """Mark the call failed; only the error type is kept (messages may quote content)."""
        mark_error(self.span, exc_or_type)
        self.error_type = attr.error_type(exc_or_type)


@contextmanager
def llm_span(
    tracer: Tracer,
    model: str,
    *,
    stage: str,
    tenant_id: str | None = None,
    content_id: str | None = None,
    route: str | None = None,
    content_hash: str | None = None,
    batch: bool = False,
    prices: PriceTable | None = None,
    metrics: Metrics | None = None,
    server_address: str | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Iterator[LlmCall]:
    """CLIENT span ``chat <model>`` around one LLM call, made current.

    With ``metrics`` the call is also counted: in-flight, latency, tokens, cost (per tenant)
    and errors. An exception escaping the block is recorded as ``error.type`` and re-raised.
    """
    span_attributes: dict[str, AttributeValue] = {
        attr.GENAI_PROVIDER: attr.PROVIDER_ANTHROPIC,
        attr.GENAI_OPERATION: "chat",
        attr.GENAI_REQUEST_MODEL: model,
    }
    if batch:
        span_attributes[attr.BATCH] = True
    if server_address:
        span_attributes[attr.SERVER_ADDRESS] = server_address
    span_attributes.update(
        attr.moderation_attributes(
            content_id=content_id,
            tenant_id=tenant_id,
            stage=stage,
            route=route,
            content_hash=content_hash,
            extra=attributes,
        )
    )
    with current_span(tracer, f"chat {model}", SpanKind.CLIENT, None, span_attributes) as span:
        call = LlmCall(
            span=span,
            request_model=model,
            stage=stage,
            tenant_id=tenant_id,
            batch=batch,
            prices=prices or PriceTable.default(),
            metrics=metrics,
        )
        if metrics is not None:
            metrics.llm_started(model, stage)
        started = time.perf_counter()
        try:
            yield call
        except BaseException as exc:
            if call.error_type is None:
                call.record_error(exc)
            raise
        finally:
            if metrics is not None:
                metrics.llm_finished(model, stage, time.perf_counter() - started, call.error_type)
