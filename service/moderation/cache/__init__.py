"""The verdict cache: identical content under the same policy is judged once.

``CachingClassifier(inner, store)`` wraps a tier's classifier; ``verdict_key`` is the pure key
function; ``VerdictCacheSettings`` reads ``MODERATION_VERDICT_CACHE__*``.
"""

from moderation.cache.judge import Judge
from moderation.cache.keys import user_turn, verdict_key
from moderation.cache.settings import CacheScope, VerdictCacheSettings
from moderation.cache.verdicts import CacheCounters, CachingClassifier, VerdictStore, reused

__all__ = [
    "CacheCounters",
    "CacheScope",
    "CachingClassifier",
    "Judge",
    "VerdictCacheSettings",
    "VerdictStore",
    "reused",
    "user_turn",
    "verdict_key",
]
