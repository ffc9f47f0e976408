"""Roles and tenants decide what a principal may open."""

from __future__ import annotations

from datetime import UTC, datetime

from moderation.console.models import Role, User
from moderation.console.principal import Principal


def _user(role: Role, tenants: str) -> User:
    return User(
        id=7,
        username="u",
        role=role.value,
        tenants=tenants,
        disabled=False,
        created_at=datetime.now(UTC),
    )


def test_a_reviewer_opens_only_assigned_tenants_in_the_standard_queue() -> None:
    principal = Principal.of(_user(Role.REVIEWER, "acme, globex"), "session", "csrf")
    assert principal.tenants == frozenset({"acme", "globex"})
    assert principal.may_open("acme", "standard")
    assert not principal.may_open("initech", "standard")
    assert not principal.may_open("acme", "senior")
    assert not principal.is_admin


def test_a_senior_also_works_the_senior_queue() -> None:
    principal = Principal.of(_user(Role.SENIOR, "acme"), "token")
    assert principal.may_open("acme", "senior")
    assert not principal.may_open("globex", "senior")
    assert principal.csrf_token is None


def test_admins_and_star_assignments_see_every_tenant() -> None:
    assert Principal.of(_user(Role.ADMIN, ""), "token").tenants is None
    star = Principal.of(_user(Role.REVIEWER, "*"), "token")
    assert star.tenants is None
    assert star.may_open("anyone", "standard")
    assert not star.may_open("anyone", "senior")
