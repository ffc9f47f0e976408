"""Who is asking: a signed-in user with a role and the tenants they may see."""

from __future__ import annotations

from dataclasses import dataclass

from moderation.console.models import QueueName, Role, User

ALL_TENANTS = "*"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    role: Role
    tenants: frozenset[str] | None
    """None: every tenant (admins, and users assigned ``*``)."""
    via: str
    """session, token or proxy: how the request was authenticated."""
    csrf_token: str | None = None
    """The session's CSRF token; None for API tokens (no ambient credentials, no CSRF)."""

    @classmethod
    def of(cls, user: User, via: str, csrf_token: str | None = None) -> Principal:
        role = Role(user.role)
        names = frozenset(t.strip() for t in user.tenants.split(",") if t.strip())
        every = role is Role.ADMIN or ALL_TENANTS in names
        return cls(user.id, user.username, role, None if every else names, via, csrf_token)

    def sees_tenant(self, tenant_id: str) -> bool:
        return self.tenants is None or tenant_id in self.tenants

    def works_queue(self, queue: str) -> bool:
        if queue in (QueueName.SENIOR, QueueName.APPEALS):  # appeals: qualified staff (DSA 20)
            return self.role in (Role.SENIOR, Role.ADMIN)
        return True

    def may_open(self, tenant_id: str, queue: str) -> bool:
        """Read, claim and decide: the tenant is assigned and the queue is the role's."""
        return self.sees_tenant(tenant_id) and self.works_queue(queue)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
