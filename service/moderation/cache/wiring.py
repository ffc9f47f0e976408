"""How the worker builds the verdict cache: one bounded in-process store per worker, shared by
the tiers it runs (keys name the tier and model, so they never collide)."""

from __future__ import annotations

import logging

from moderation.cache.store import VerdictStore
from moderation.cache.verdicts import CachingClassifier
from moderation.levers import VerdictCacheSettings
from moderation.llm.judge import Judge
from moderation.telemetry import Metrics

_log = logging.getLogger(__name__)


def verdict_store(
    settings: VerdictCacheSettings, metrics: Metrics | None = None
) -> VerdictStore | None:
    """The worker's verdict store, or None when the cache is off; its size is a gauge."""
    if not settings.enabled:
        return None
    store = VerdictStore(settings.max_entries, settings.max_age_s)
    if metrics is not None:
        metrics.register_cache_size("all", store.__len__)
    _log.info(
        "verdict cache on (in-process, up to %d entries, %.0fs each)",
        settings.max_entries,
        settings.max_age_s,
    )
    return store


def cached(judge: Judge, store: VerdictStore | None) -> Judge:
    """``judge`` behind the verdict cache, or unchanged when there is no store."""
    return judge if store is None else CachingClassifier(judge, store)
