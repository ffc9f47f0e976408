"""Shadow mode: a candidate judges a sample of live items after production, for comparison only.

:class:`ShadowJudge` wraps a stage's judge. It returns production's judgement untouched, so
routing, decisions and the item's cost never change, and then, for items whose content id
hashes into the share, starts the candidate's call in the background. The candidate has its
own budget of calls in flight and its own circuit breaker: when either says no, the item is
skipped and counted, so shadow load cannot slow production. Each finished pair becomes a
``moderation.shadow.v1`` comparison record and metrics.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from moderation.levers import ShadowSettings
from moderation.llm.circuit import CircuitBreaker, CircuitConfig
from moderation.llm.gateway import CallContext, LlmRequest
from moderation.llm.judge import Judge, Judgement, JudgementKind, JudgeRequest, TierConfig
from moderation.policy import Policy, PolicyBook
from moderation.rollout.metrics import RolloutMetrics
from moderation.rollout.sampling import in_share
from moderation.routing import route_review, route_triage
from moderation.stages.outputs import output
from moderation.streaming.records import Outbound
from moderation_contracts import (
    ShadowComparison,
    ShadowSide,
    ShadowStage,
)

_log = logging.getLogger(__name__)

Publish = Callable[[Outbound], Awaitable[object]]


@dataclass(frozen=True)
class Side:
    """One configuration's answer, with what the routing table makes of it."""

    config_id: str
    policy: Policy
    judgement: Judgement
    latency_ms: float


def _side(stage: ShadowStage, side: Side) -> ShadowSide:
    judgement, policy = side.judgement, side.policy
    verdict = judgement.verdict
    flagged = policy.flagged(verdict.categories) if verdict else []
    routed = (route_triage if stage is ShadowStage.TRIAGE else route_review)(judgement, policy)
    return ShadowSide(
        config_id=side.config_id,
        model=judgement.model or None,
        outcome=judgement.kind.value,
        flagged=bool(flagged),
        categories=verdict.categories if verdict else [],
        flagged_categories=sorted({score.category for score in flagged}),
        route=routed.label,
        cost_usd=round(sum(cost.cost_usd for cost in judgement.costs), 8),
        latency_ms=round(side.latency_ms, 3),
    )


def compare(
    stage: ShadowStage, content_id: str, tenant_id: str, production: Side, candidate: Side
) -> ShadowComparison:
    """The comparison record of one item. Pure."""
    ours, theirs = _side(stage, production), _side(stage, candidate)
    return ShadowComparison(
        content_id=content_id,
        tenant_id=tenant_id,
        stage=stage,
        policy_version=production.policy.version,
        production=ours,
        candidate=theirs,
        agree=ours.flagged == theirs.flagged,
        flips=sorted(set(ours.flagged_categories) ^ set(theirs.flagged_categories)),
    )


class ShadowJudge:
    """Production's judge, plus a candidate that judges a sample afterwards, off the path."""

    def __init__(
        self,
        production: Judge,
        candidate: Judge,
        *,
        stage: ShadowStage,
        settings: ShadowSettings,
        publish: Publish,
        topic: str,
        metrics: RolloutMetrics | None = None,
        candidate_policies: PolicyBook | None = None,
        baseline_id: str = "baseline",
    ) -> None:
        self._production = production
        self._candidate = candidate
        self._stage = stage
        self._settings = settings
        self._publish = publish
        self._topic = topic
        self._metrics = metrics
        self._candidate_policies = candidate_policies
        self._baseline_id = baseline_id
        self.circuit = CircuitBreaker(
            f"shadow {candidate.config.model}",
            CircuitConfig(settings.circuit_failure_threshold, settings.circuit_cool_down_s),
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self.skipped: dict[str, int] = {}
        self.compared = 0

    @property
    def config(self) -> TierConfig:
        return self._production.config

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def build_request(self, ask: JudgeRequest) -> LlmRequest:
        return self._production.build_request(ask)

    async def classify(self, ask: JudgeRequest) -> Judgement:
        started = time.perf_counter()
        judgement = await self._production.classify(ask)
        if in_share(ask.item.content_id, self._settings.share_percent, self._settings.salt):
            latency_ms = (time.perf_counter() - started) * 1000
            config_id = judgement.config_id or self._baseline_id
            self._start(ask, Side(config_id, ask.policy, judgement, latency_ms))
        return judgement

    def _start(self, ask: JudgeRequest, production: Side) -> None:
        if len(self._tasks) >= self._settings.max_in_flight:
            self._skip("budget")
            return
        if not self.circuit.allow():
            self._skip("circuit_open")
            return
        task = asyncio.create_task(self._shadow(ask, production))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        if self._metrics is not None:
            self._metrics.skipped(self._stage.value, reason)

    async def _shadow(self, ask: JudgeRequest, production: Side) -> None:
        request, context = ask.item, ask.context
        books = self._candidate_policies
        policy = books.for_tenant(request.tenant_id) if books else production.policy
        shadow_context = CallContext(
            stage=f"shadow-{context.stage}",
            tenant_id=context.tenant_id,
            content_id=context.content_id,
            content_hash=context.content_hash,
        )
        started = time.perf_counter()
        try:
            judgement = await self._candidate.classify(
                replace(ask, policy=policy, context=shadow_context)
            )
        except asyncio.CancelledError:
            self.circuit.abandon()
            raise
        except Exception as error:  # a shadow failure must never reach production
            self.circuit.record_failure()
            _log.warning("shadow call failed: %s", type(error).__name__)
            self._skip("error")
            return
        latency_ms = (time.perf_counter() - started) * 1000
        if judgement.kind is JudgementKind.UNAVAILABLE:
            self.circuit.record_failure()
        else:
            self.circuit.record_success()
        config_id = judgement.config_id or self._candidate.config.config_id or "candidate"
        theirs = Side(config_id, policy, judgement, latency_ms)
        comparison = compare(self._stage, request.content_id, request.tenant_id, production, theirs)
        record = output(self._topic, comparison, request.content_id, "shadow")
        try:
            await self._publish(record)
        except Exception as error:  # the comparison is lost, production is not affected
            _log.warning("shadow comparison not published: %s", type(error).__name__)
            self._skip("publish_failed")
            return
        self.compared += 1
        if self._metrics is not None:
            self._metrics.compared(comparison)

    async def close(self) -> None:
        """Cancel shadow calls still running (shutdown); they are best effort."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
