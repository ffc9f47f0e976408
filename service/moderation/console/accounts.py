"""Users, API tokens and sign-in sessions. Secrets are stored hashed, never in clear."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from moderation.console import audit
from moderation.console.credentials import (
    digest,
    hash_password,
    new_csrf_token,
    new_session_id,
    new_token,
    verify_password,
)
from moderation.console.models import ApiToken, Role, User, WebSession
from moderation.console.principal import Principal

# Checked against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = hash_password("not a password", salt=b"0123456789abcdef")


TOKEN_TOUCH_EVERY = timedelta(minutes=1)
"""How stale a token's ``last_used_at`` may get before a request updates it."""


class AccountError(ValueError):
    """A request to change accounts that cannot be honoured (message names the problem)."""


def add_user(
    session: Session,
    username: str,
    role: Role,
    tenants: list[str],
    password: str | None,
    *,
    now: datetime,
) -> User:
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise AccountError(f"user {username!r} exists already")
    if role is not Role.ADMIN and not tenants:
        raise AccountError("a reviewer or senior needs at least one tenant (or '*')")
    user = User(
        username=username,
        password_hash=hash_password(password) if password else None,
        role=role.value,
        tenants=",".join(tenants),
        disabled=False,
        created_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(session, at=now, actor="cli", action="user_added", detail=f"{username} {role}")
    return user


def set_password(session: Session, user: User, password: str, *, now: datetime) -> None:
    user.password_hash = hash_password(password)
    audit.record(session, at=now, actor="cli", action="password_set", detail=user.username)


def user_named(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username, User.disabled.is_(False)))


def add_token(session: Session, user: User, name: str, *, now: datetime) -> str:
    """A new API token for ``user``; the clear token is returned once and never stored."""
    token = new_token()
    session.add(
        ApiToken(
            user_id=user.id,
            name=name,
            token_hash=digest(token),
            created_at=now,
            revoked=False,
        )
    )
    audit.record(session, at=now, actor="cli", action="token_added", detail=user.username)
    return token


def check_password(session: Session, username: str, password: str) -> User | None:
    user = user_named(session, username)
    if user is None:
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


def principal_for_token(session: Session, token: str, *, now: datetime) -> Principal | None:
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(
            ApiToken.token_hash == digest(token),
            ApiToken.revoked.is_(False),
            User.disabled.is_(False),
        )
    ).first()
    if row is None:
        return None
    api_token, user = row
    last = api_token.last_used_at
    if last is None or now - last > TOKEN_TOUCH_EVERY:  # one write a minute, not per request
        api_token.last_used_at = now
    return Principal.of(user, "token")


@dataclass(frozen=True, slots=True)
class NewSession:
    cookie: str
    """The clear session id for the cookie; the database has only its hash."""
    csrf_token: str


def open_session(session: Session, user: User, *, now: datetime, hours: float) -> NewSession:
    cookie, csrf = new_session_id(), new_csrf_token()
    session.add(
        WebSession(
            session_hash=digest(cookie),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return NewSession(cookie, csrf)


def principal_for_session(
    session: Session, cookie: str, *, now: datetime, via: str = "session"
) -> Principal | None:
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(
            WebSession.session_hash == digest(cookie),
            WebSession.expires_at > now,
            User.disabled.is_(False),
        )
    ).first()
    if row is None:
        return None
    web_session, user = row
    return Principal.of(user, via, web_session.csrf_token)


def close_session(session: Session, cookie: str) -> None:
    session.execute(delete(WebSession).where(WebSession.session_hash == digest(cookie)))


def purge_expired_sessions(session: Session, *, now: datetime) -> None:
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
