"""How the worker builds the verdict cache: an in-process, size-bounded store.

Entries live in the worker's memory only (the stage inputs are read by the service's own
consumer, so faust tables are not used); a restarted worker starts with an empty cache.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from moderation.cache.judge import Judge
from moderation.cache.settings import VerdictCacheSettings
from moderation.cache.verdicts import CachingClassifier, VerdictStore

_log = logging.getLogger(__name__)

MAX_ENTRIES = 100_000


class BoundedStore(OrderedDict[str, Any]):
    """A dict that forgets its least recently written entries beyond ``limit``."""

    def __init__(self, limit: int = MAX_ENTRIES) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


def verdict_table(settings: VerdictCacheSettings) -> VerdictStore | None:
    """The verdict store, or None when the cache is off."""
    if not settings.enabled:
        return None
    _log.info("verdict cache on (in process, up to %d entries)", MAX_ENTRIES)
    return BoundedStore()


def cached(judge: Judge, store: VerdictStore | None) -> Judge:
    """``judge`` behind the verdict cache, or unchanged when there is no store."""
    return judge if store is None else CachingClassifier(judge, store)
