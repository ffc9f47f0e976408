"""The verdict cache: identical content under the same policy is judged once.

``CachingClassifier(inner, store)`` wraps a tier's classifier; ``verdict_key`` is the pure key
function; its settings (``MODERATION_VERDICT_CACHE__*``) are ``Settings.verdict_cache``.
"""

from moderation.cache.keys import cacheable, user_turn, verdict_key
from moderation.cache.store import VerdictStore
from moderation.cache.verdicts import CacheCounters, CachingClassifier, reused

__all__ = [
    "CacheCounters",
    "CachingClassifier",
    "VerdictStore",
    "cacheable",
    "reused",
    "user_turn",
    "verdict_key",
]
