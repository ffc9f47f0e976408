"""Judge labelled items with one or more configurations through the real classification path.

Per item and configuration: the tenant's policy from the configuration's book, the triage
classifier, the routing table, and the review classifier when triage sends the item up, exactly
as the worker's stages do (same prompt builder, gateway, retries, policy thresholds). Answers
go to the on-disk cache as they arrive; ``max_cost_usd`` stops starting new items before the
spend would pass the limit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from opentelemetry.trace import NoOpTracer

from moderation.evaluation.answers import Answer, AnswerCache
from moderation.evaluation.datasets import EvalItem
from moderation.llm.gateway import CallContext
from moderation.llm.judge import Judge, JudgeRequest
from moderation.policy import PolicyBook
from moderation.rollout.configs import RolloutConfig, build_classifier
from moderation.routing import Route, route_review, route_triage
from moderation.stages.dedupe import request_hash
from moderation_contracts import Tier


@dataclass
class ConfigPath:
    """One configuration's classification path: its policies and its two tiers' judges."""

    config: RolloutConfig
    policies: PolicyBook
    triage: Judge
    review: Judge

    @classmethod
    def build(cls, config: RolloutConfig, api_key: str | None, base_url: str | None) -> ConfigPath:
        tracer = NoOpTracer()

        def judge(tier: Tier) -> Judge:
            return build_classifier(
                config, tier, api_key=api_key, base_url=base_url, tracer=tracer, metrics=None
            )

        return cls(config, config.policies(), judge(Tier.HAIKU), judge(Tier.SONNET))


async def answer(item: EvalItem, path: ConfigPath) -> Answer:
    """``item`` through triage, the routing table and (when routed there) review."""
    request = item.request
    policy = path.policies.for_tenant(request.tenant_id)
    digest = request_hash(request)

    def context(stage: str) -> CallContext:
        return CallContext(stage, request.tenant_id, request.content_id, digest)

    started = time.perf_counter()
    first = await path.triage.classify(JudgeRequest(request, policy, context("eval-triage")))
    routing = route_triage(first, policy)
    judgements = [first]
    to_review = routing.route is Route.REVIEW
    verdict = first.verdict
    review_kind: str | None = None
    if to_review:
        ask = JudgeRequest(request, policy, context("eval-review"), first.verdict, routing.reason)
        second = await path.review.classify(ask)
        judgements.append(second)
        routing = route_review(second, policy)
        review_kind = second.kind.value
        verdict = second.verdict or verdict
    latency_ms = (time.perf_counter() - started) * 1000
    scores: dict[str, float] = {}
    for score in verdict.categories if verdict else []:
        scores[score.category] = max(scores.get(score.category, 0.0), score.confidence)
    flagged = sorted({s.category for s in policy.flagged(verdict.categories)}) if verdict else []
    costs = [cost for judgement in judgements for cost in judgement.costs]
    return Answer(
        item_id=item.item_id,
        fingerprint=item.fingerprint,
        config_id=path.config.id,
        triage=first.kind.value,
        review=review_kind,
        route=routing.label,
        to_review=to_review,
        to_human=routing.route is Route.HUMAN,
        flagged=flagged,
        scores=scores,
        cost_usd=round(sum(cost.cost_usd for cost in costs), 8),
        latency_ms=round(latency_ms, 3),
        models=list(dict.fromkeys(cost.model for cost in costs)),
    )


@dataclass
class Progress:
    total: int
    cached: int = 0
    answered: int = 0
    spent_usd: float = 0.0
    in_flight: int = 0
    stopped_for_cost: bool = False

    @property
    def done(self) -> int:
        return self.cached + self.answered

    def text(self, elapsed_s: float) -> str:
        return (
            f"answers {self.done}/{self.total} (cached {self.cached}) | "
            f"spent ${self.spent_usd:.4f} | {elapsed_s:.1f}s"
        )


@dataclass
class Budget:
    """Stops new work before the spend (plus what running calls will likely cost) passes it."""

    max_usd: float | None
    spent_usd: float = 0.0
    answered: int = 0
    running: int = 0

    def allows_another(self) -> bool:
        if self.max_usd is None:
            return True
        typical = self.spent_usd / self.answered if self.answered else 0.0
        expected = self.spent_usd + (self.running + 1) * typical
        return self.spent_usd < self.max_usd and expected <= self.max_usd

    def record(self, cost_usd: float) -> None:
        self.spent_usd += cost_usd
        self.answered += 1


async def run(
    items: Sequence[EvalItem],
    paths: Sequence[ConfigPath],
    caches: Sequence[AnswerCache],
    *,
    concurrency: int = 8,
    max_cost_usd: float | None = None,
    on_progress: Callable[[Progress], None] = lambda _p: None,
) -> tuple[dict[str, list[Answer]], Progress]:
    """Answers per config id (cached ones included), in dataset order, and the run's progress."""
    progress = Progress(total=len(items) * len(paths))
    budget = Budget(max_cost_usd)
    todo: asyncio.Queue[tuple[EvalItem, ConfigPath, AnswerCache]] = asyncio.Queue()
    for path, cache in zip(paths, caches, strict=True):
        for item in items:
            if cache.get(item.fingerprint) is None:
                todo.put_nowait((item, path, cache))
            else:
                progress.cached += 1
    on_progress(progress)

    async def worker() -> None:
        while not todo.empty():
            if not budget.allows_another():
                progress.stopped_for_cost = True
                return
            item, path, cache = todo.get_nowait()
            budget.running += 1
            progress.in_flight += 1
            try:
                made = await answer(item, path)
            finally:
                budget.running -= 1
                progress.in_flight -= 1
            cache.add(made)
            budget.record(made.cost_usd)
            progress.answered += 1
            progress.spent_usd = budget.spent_usd
            on_progress(progress)

    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    results: dict[str, list[Answer]] = {}
    for path, cache in zip(paths, caches, strict=True):
        found = (cache.get(item.fingerprint) for item in items)
        results[path.config.id] = [a for a in found if a is not None]
    return results, progress
