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

from moderation.batch.results import batch_params
from moderation.batch.submitter import BatchSubmitter
from moderation.llm.gateway import LlmRequest
from moderation.llm.judge import Judge, Judgement, JudgeRequest, TierConfig
from moderation.llm.replies import judgement_of, reply_of
from moderation.pricing import PriceTable
from moderation.prompts import InvalidModelOutput
from moderation.telemetry import Metrics
from moderation.telemetry.genai import llm_span
from moderation_contracts import TierCost


@dataclass
class BatchCounters:
    judged: int = 0
    fallbacks: int = 0


class BatchClassifier:
    """A :class:`~moderation.llm.judge.Judge` backed by a :class:`BatchSubmitter`."""

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

    def build_request(self, ask: JudgeRequest) -> LlmRequest:
        return self._fallback.build_request(ask)

    async def classify(self, ask: JudgeRequest) -> Judgement:
        call = self.build_request(ask)
        context = ask.context
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
                cost = span.record_response(
                    message.model, message.id, message.stop_reason, message.usage
                )
                reply = reply_of(message, cost, (time.perf_counter() - started) * 1000)
                spent = (reply.tier_cost(self.config.tier),)
                try:
                    judgement = judgement_of(reply, self.config, ask.policy, spent)
                except InvalidModelOutput:
                    span.record_error("invalid_output")
                else:
                    self.counters.judged += 1
                    return judgement
            else:
                span.record_error(f"batch_{kind or 'unanswered'}")
        self.counters.fallbacks += 1
        answer = await self._fallback.classify(ask)
        return replace(answer, costs=spent + answer.costs)
