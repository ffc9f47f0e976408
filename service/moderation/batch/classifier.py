"""A tier classifier that asks through the Message Batches API (50% price) instead of one call
per item, with the interactive classifier as its fallback.

Each item keeps its own ``chat <model>`` span (``moderation.batch`` = true) and its own cost,
priced with the batch discount. Anything a batch cannot answer (not created, timed out, errored,
expired, canceled, output that does not validate) goes to the fallback classifier, which is
the ladder's retry; costs already spent are kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from opentelemetry.trace import Tracer

from moderation.batch.results import batch_params, judgement_of
from moderation.batch.submitter import BatchSubmitter
from moderation.cache.judge import Judge
from moderation.llm.classify import Judgement, TierConfig
from moderation.llm.gateway import CallContext, LlmRequest
from moderation.policy import Policy
from moderation.pricing import PriceTable
from moderation.telemetry import Metrics
from moderation.telemetry.genai import llm_span
from moderation_contracts import ModerationRequest, TierCost, Verdict


@dataclass
class BatchCounters:
    judged: int = 0
    fallbacks: int = 0


class BatchClassifier:
    """A :class:`~moderation.cache.judge.Judge` backed by a :class:`BatchSubmitter`."""

    def __init__(
        self,
        fallback: Judge,
        submitter: BatchSubmitter,
        tracer: Tracer,
        *,
        prices: PriceTable | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._fallback = fallback
        self._submitter = submitter
        self._tracer = tracer
        self._prices = prices or PriceTable.default()
        self._metrics = metrics
        self.counters = BatchCounters()

    @property
    def config(self) -> TierConfig:
        return self._fallback.config

    def build_request(
        self, request: ModerationRequest, policy: Policy, triage: Verdict | None, reason: str
    ) -> LlmRequest:
        return self._fallback.build_request(request, policy, triage, reason)

    async def classify(
        self,
        request: ModerationRequest,
        policy: Policy,
        context: CallContext,
        *,
        triage: Verdict | None = None,
        reason: str = "",
    ) -> Judgement:
        call = self.build_request(request, policy, triage, reason)
        spent: tuple[TierCost, ...] = ()
        started = time.perf_counter()
        with llm_span(
            self._tracer,
            call.model,
            stage=context.stage,
            tenant_id=context.tenant_id,
            content_id=context.content_id,
            content_hash=context.content_hash,
            batch=True,
            prices=self._prices,
            metrics=self._metrics,
        ) as span:
            result = await self._submitter.submit(batch_params(call))
            kind = getattr(result, "type", None)
            if kind == "succeeded":
                message = result.message
                span.record_response(message.model, message.id, message.stop_reason, message.usage)
                judgement, cost = judgement_of(message, self.config, policy, self._prices)
                if judgement is not None:
                    self.counters.judged += 1
                    return _with_latency(judgement, (time.perf_counter() - started) * 1000)
                spent = (cost,)
                span.record_error("invalid_output")
            else:
                span.record_error(f"batch_{kind or 'unanswered'}")
        self.counters.fallbacks += 1
        answer = await self._fallback.classify(
            request, policy, context, triage=triage, reason=reason
        )
        return replace(answer, costs=spent + answer.costs)


def _with_latency(judgement: Judgement, latency_ms: float) -> Judgement:
    if judgement.verdict is None:
        return judgement
    verdict = judgement.verdict.model_copy(update={"latency_ms": round(latency_ms, 3)})
    return replace(judgement, verdict=verdict)
