"""Reuse a verdict for identical content under the same policy instead of paying twice.

``CachingClassifier`` wraps a tier's classifier. Before a model call it looks the item's
:func:`~moderation.cache.keys.verdict_key` up in a store (a faust table backed by a compacted
changelog topic in the worker, so entries survive restarts; a dict in tests). Identical items
that arrive while the first is still being judged wait for that call instead of making their
own ("single flight"). Only clean judgements are stored: refusals, invalid output and
unavailable tiers are never cached, so the escalation ladder runs again for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from moderation.cache.judge import Judge
from moderation.cache.keys import user_turn, verdict_key
from moderation.llm.classify import Judgement, JudgementKind, TierConfig
from moderation.llm.gateway import CallContext, LlmRequest
from moderation.policy import Policy
from moderation_contracts import ModerationRequest, Verdict

_log = logging.getLogger(__name__)

VerdictStore = MutableMapping[str, Any]
"""key -> Verdict JSON (a dict); a faust Table in the worker, a dict in tests."""


@dataclass
class CacheCounters:
    """What the cache did since start; read by tests and the load test's worker log."""

    hits: int = 0
    shared: int = 0  # answered by an identical item's call that was still in flight
    misses: int = 0
    stored: int = 0
    unreadable: int = 0

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
        self.counters = CacheCounters()

    @property
    def config(self) -> TierConfig:
        return self._inner.config

    def build_request(
        self, request: ModerationRequest, policy: Policy, triage: Verdict | None, reason: str
    ) -> LlmRequest:
        return self._inner.build_request(request, policy, triage, reason)

    async def classify(
        self,
        request: ModerationRequest,
        policy: Policy,
        context: CallContext,
        *,
        triage: Verdict | None = None,
        reason: str = "",
    ) -> Judgement:
        messages = user_turn(self.config.tier, request, triage, reason)
        key = verdict_key(self.config, policy, messages)
        cached = self._lookup(key)
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
        return await self._judge(key, request, policy, context, triage, reason)

    async def _judge(
        self,
        key: str,
        request: ModerationRequest,
        policy: Policy,
        context: CallContext,
        triage: Verdict | None,
        reason: str,
    ) -> Judgement:
        future: asyncio.Future[Judgement] = asyncio.get_running_loop().create_future()
        owner = key not in self._pending
        if owner:
            self._pending[key] = future
        try:
            judgement = await self._inner.classify(
                request, policy, context, triage=triage, reason=reason
            )
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
            self._store[key] = judgement.verdict.model_dump(mode="json")
            self.counters.stored += 1
        return judgement

    def _lookup(self, key: str) -> Verdict | None:
        raw = self._store.get(key)
        if raw is None:
            return None
        try:
            return Verdict.model_validate(raw)
        except ValidationError:
            # An entry written by an incompatible version: ask the model again, overwrite it.
            self.counters.unreadable += 1
            _log.warning("verdict cache entry %s does not validate; ignoring it", key[:40])
            return None


def _settled(future: asyncio.Future[Judgement]) -> Verdict | None:
    """The verdict an in-flight call ended with, if it ended with one."""
    if future.cancelled() or future.exception() is not None:
        return None
    judgement = future.result()
    if judgement.kind is JudgementKind.JUDGED and judgement.verdict is not None:
        return judgement.verdict
    return None
