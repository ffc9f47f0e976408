"""Errors raised while loading or looking up moderation policies."""

from __future__ import annotations

from moderation.errors import PermanentError


class PolicyError(PermanentError):
    """Root of every policy error: a policy file or value that cannot be used."""


class UnknownTenant(PolicyError, LookupError):
    """The policy book requires known tenants and this tenant is not listed."""

    def __init__(self, tenant_id: str) -> None:
        super().__init__(
            f"tenant {tenant_id!r} has no policy and the policy book requires known tenants"
        )
        self.tenant_id = tenant_id
