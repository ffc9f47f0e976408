"""Reuse a verdict for identical content under the same policy instead of paying twice.

``CachingClassifier`` wraps a tier's classifier. Before a model call it looks the item's
:func:`~moderation.cache.keys.verdict_key` up in a :class:`~moderation.cache.store.VerdictStore`
(in-process, bounded by size and age). Identical items that arrive while the first is still
being judged wait for that call instead of making their own ("single flight"). Only clean
judgements are stored: refusals, invalid output, rejected items and unavailable tiers are never
cached, so the escalation ladder runs again for them. Items with URL images are never cached.
A reused verdict keeps the model that made it and says ``from_cache``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from moderation.cache.keys import cacheable, user_turn, verdict_key
from moderation.cache.store import VerdictStore
from moderation.llm.gateway import LlmRequest
from moderation.llm.judge import Judge, Judgement, JudgementKind, JudgeRequest, TierConfig
from moderation.policy import Policy
from moderation_contracts import Verdict

_log = logging.getLogger(__name__)


@dataclass
class CacheCounters:
    """What the cache did since start; read by tests and the load test's worker log."""

    hits: int = 0
    shared: int = 0  # answered by an identical item's call that was still in flight
    misses: int = 0
    stored: int = 0
    uncacheable: int = 0  # URL images: never looked up, never stored

    @property
    def lookups(self) -> int:
        return self.hits + self.shared + self.misses

    @property
    def hit_ratio(self) -> float:
        return (self.hits + self.shared) / self.lookups if self.lookups else 0.0


def reused(verdict: Verdict) -> Judgement:
    """A judgement answered from the cache: no calls, no cost, the verdict marked as reused."""
    copy = verdict.model_copy(update={"from_cache": True, "latency_ms": 0.0})
    return Judgement(JudgementKind.JUDGED, (), verdict=copy, model=verdict.model)


class CachingClassifier:
    """A :class:`Judge` that consults the verdict cache before asking ``inner``."""

    def __init__(self, inner: Judge, store: VerdictStore) -> None:
        self._inner = inner
        self._store = store
        self._pending: dict[str, asyncio.Future[Judgement]] = {}
        self._fingerprints: dict[int, tuple[Policy, str]] = {}
        self.counters = CacheCounters()

    @property
    def store(self) -> VerdictStore:
        return self._store

    def _fingerprint(self, policy: Policy) -> str:
        """The policy's content hash, computed once per policy object (bounded memo)."""
        known = self._fingerprints.get(id(policy))
        if known is None or known[0] is not policy:
            if len(self._fingerprints) >= 256:  # reloaded books bring new policy objects
                self._fingerprints.clear()
            known = (policy, policy.fingerprint)
            self._fingerprints[id(policy)] = known
        return known[1]

    @property
    def config(self) -> TierConfig:
        return self._inner.config

    def build_request(self, ask: JudgeRequest) -> LlmRequest:
        return self._inner.build_request(ask)

    async def classify(self, ask: JudgeRequest) -> Judgement:
        if not cacheable(ask.item):
            self.counters.uncacheable += 1
            return await self._inner.classify(ask)
        messages = user_turn(self.config.tier, ask.item, ask.triage, ask.reason)
        key = verdict_key(self.config, ask.policy, messages, self._fingerprint(ask.policy))
        cached = self._store.get(key)
        if cached is not None:
            self.counters.hits += 1
            return reused(cached)
        pending = self._pending.get(key)
        if pending is not None:
            await asyncio.wait([pending])
            earlier = _settled(pending)
            if earlier is not None:
                self.counters.shared += 1
                return reused(earlier)
        self.counters.misses += 1
        return await self._judge(key, ask)

    async def _judge(self, key: str, ask: JudgeRequest) -> Judgement:
        future: asyncio.Future[Judgement] = asyncio.get_running_loop().create_future()
        owner = key not in self._pending
        if owner:
            self._pending[key] = future
        try:
            judgement = await self._inner.classify(ask)
        except BaseException:
            if owner:
                future.cancel()  # waiters make their own call
            raise
        finally:
            if owner and self._pending.get(key) is future:
                del self._pending[key]
        if owner:
            future.set_result(judgement)
        if judgement.kind is JudgementKind.JUDGED and judgement.verdict is not None:
            self._store.put(key, judgement.verdict)
            self.counters.stored += 1
        return judgement


def _settled(future: asyncio.Future[Judgement]) -> Verdict | None:
    """The verdict an in-flight call ended with, if it ended with one."""
    if future.cancelled() or future.exception() is not None:
        return None
    judgement = future.result()
    if judgement.kind is JudgementKind.JUDGED and judgement.verdict is not None:
        return judgement.verdict
    return None
