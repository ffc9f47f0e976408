"""How the worker builds the verdict cache: a faust table backed by a compacted changelog.

The cache key is a content digest, not the message key (content_id), so the table is written
with ``use_partitioner=True`` (the changelog partition comes from the digest) and is not
co-partitioned with the source topics. With the default ``global`` scope every worker keeps all
of the table (a faust GlobalTable reads every changelog partition), so a duplicate hits no
matter which worker judged the original. With ``partitioned`` a worker only sees the entries
of the partitions it owns: cheaper in memory, and about 1/N of the hits with N workers.
Both are restored from the changelog on start, so entries survive restarts.
"""

from __future__ import annotations

import logging

import faust

from moderation.cache.judge import Judge
from moderation.cache.settings import CacheScope, VerdictCacheSettings
from moderation.cache.verdicts import CachingClassifier, VerdictStore

_log = logging.getLogger(__name__)


def verdict_table(
    app: faust.App, partitions: int, settings: VerdictCacheSettings
) -> VerdictStore | None:
    """The verdict table declared on ``app``, or None when the cache is off."""
    if not settings.enabled:
        return None
    if settings.scope is CacheScope.GLOBAL:
        table: VerdictStore = app.GlobalTable(
            settings.table, schema=_schema(), partitions=partitions, use_partitioner=True
        )
    else:
        table = app.Table(
            settings.table, schema=_schema(), partitions=partitions, use_partitioner=True
        )
    _log.info("verdict cache on (%s table %r)", settings.scope.value, settings.table)
    return table


def cached(judge: Judge, store: VerdictStore | None) -> Judge:
    """``judge`` behind the verdict cache, or unchanged when there is no store."""
    return judge if store is None else CachingClassifier(judge, store)


def _schema() -> faust.Schema:  # type: ignore[type-arg]  # faust's stub leaves it generic
    return faust.Schema(key_type=str, key_serializer="raw", value_serializer="json")
