"""Moderation policy as data: categories, thresholds, fail mode, examples, tenant overrides.

``PolicyBook.load(path)`` reads the packaged default (``path=None``) or a YAML file merged over
it; ``book.for_tenant(tenant_id)`` gives the ``Policy`` whose pure methods (``flagged``,
``is_flagged``, ``auto_removable``) apply its thresholds to a model's category scores.
"""

from moderation.policy.book import TENANT_VERSION_SEPARATOR, PolicyBook
from moderation.policy.errors import PolicyError, UnknownTenant
from moderation.policy.live import LivePolicies, PolicyLookup
from moderation.policy.merge import deep_merge
from moderation.policy.models import (
    DEFAULT_REVIEW_DEADLINE_HOURS,
    CategoryRule,
    FailMode,
    Policy,
    PolicyExample,
)

__all__ = [
    "DEFAULT_REVIEW_DEADLINE_HOURS",
    "TENANT_VERSION_SEPARATOR",
    "CategoryRule",
    "FailMode",
    "LivePolicies",
    "Policy",
    "PolicyBook",
    "PolicyError",
    "PolicyExample",
    "PolicyLookup",
    "UnknownTenant",
    "deep_merge",
]
