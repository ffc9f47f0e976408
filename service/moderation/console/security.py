"""Request security: who is asking, CSRF on every state change, and the response headers.

Authentication, in order: an ``Authorization: Bearer`` API token (scripts; no CSRF, no
cookies), then in proxy mode the trusted proxy's user header, then the session cookie. A
session-authenticated request that changes state must carry the session's CSRF token (header
``X-CSRF-Token`` or form field ``csrf_token``) and, when the browser sends one, a same-origin
``Origin``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from ipaddress import ip_address
from typing import Final

from aiohttp import web
from sqlalchemy.orm import Session

from moderation.console import accounts
from moderation.console.credentials import same
from moderation.console.principal import Principal
from moderation.console.settings import AuthMode
from moderation.console.state import ConsoleState

SESSION_COOKIE: Final = "console_session"
LOGIN_COOKIE: Final = "console_login"
"""Double-submit token for the sign-in form (there is no session yet to hold one)."""
CSRF_HEADER: Final = "X-CSRF-Token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)

SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cache-Control": "no-store",
}

STATE: Final = web.AppKey("console_state", ConsoleState)
PRINCIPAL: Final = web.RequestKey("principal", Principal)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def principal_of(request: web.Request) -> Principal | None:
    return request.get(PRINCIPAL)


def state_of(request: web.Request) -> ConsoleState:
    return request.app[STATE]


def _from_trusted_proxy(request: web.Request, state: ConsoleState) -> bool:
    peer = request.remote
    if peer is None:
        return False
    try:
        address = ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in state.settings.trusted_proxies)


async def authenticate(
    request: web.Request, state: ConsoleState
) -> tuple[Principal | None, str | None]:
    """The principal (or None) and, in proxy mode, a new session cookie to set."""
    now = state.clock()
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = header.removeprefix("Bearer ").strip()
        found = await state.write(lambda s: accounts.principal_for_token(s, token, now=now))
        return found, None
    cookie = request.cookies.get(SESSION_COOKIE)
    if state.settings.auth_mode is AuthMode.PROXY:
        return await _proxy_principal(request, state, cookie)
    if cookie is None:
        return None, None
    found = await state.read(lambda s: accounts.principal_for_session(s, cookie, now=now))
    return found, None


async def _proxy_principal(
    request: web.Request, state: ConsoleState, cookie: str | None
) -> tuple[Principal | None, str | None]:
    """Proxy mode: believe the user header only from a trusted proxy; the user must exist.

    The console still keeps a session per user so state changes carry a CSRF token; the
    session must belong to the user the proxy vouches for on this very request.
    """
    now = state.clock()
    name = request.headers.get(state.settings.proxy_user_header)
    if not name or not _from_trusted_proxy(request, state):
        return None, None
    if cookie is not None:
        found = await state.read(
            lambda s: accounts.principal_for_session(s, cookie, now=now, via="proxy")
        )
        if found is not None and found.username == name:
            return found, None
    if request.method not in SAFE_METHODS:
        return None, None  # a new session starts on a page load, never on a state change

    def start(session: Session) -> tuple[Principal | None, str | None]:
        user = accounts.user_named(session, name)
        if user is None:
            return None, None
        opened = accounts.open_session(session, user, now=now, hours=state.settings.session_hours)
        return Principal.of(user, "proxy", opened.csrf_token), opened.cookie

    return await state.write(start)


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return origin in (f"{request.scheme}://{request.host}", f"https://{request.host}")


async def _csrf_ok(request: web.Request, principal: Principal) -> bool:
    expected = principal.csrf_token
    if expected is None:  # API token: nothing ambient for a forger to ride on
        return True
    if not _same_origin(request):
        return False
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type == "application/x-www-form-urlencoded":
        sent = str((await request.post()).get("csrf_token", ""))
    return bool(sent) and same(sent or "", expected)


@web.middleware
async def security_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = state_of(request)
    principal, new_cookie = await authenticate(request, state)
    if principal is not None:
        request[PRINCIPAL] = principal
        if request.method not in SAFE_METHODS and not await _csrf_ok(request, principal):
            response: web.StreamResponse = web.json_response(
                {"error": "csrf", "detail": "missing or wrong CSRF token"}, status=403
            )
            _harden(response)
            return response
    try:
        response = await handler(request)
    except web.HTTPException as error:
        response = error
        _harden(response)
        raise
    _harden(response)
    if new_cookie is not None:
        set_cookie(response, state, SESSION_COOKIE, new_cookie)
    return response


def _harden(response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def set_cookie(response: web.StreamResponse, state: ConsoleState, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        secure=state.settings.secure_cookies,
        samesite="Strict",
        path="/",
        max_age=int(state.settings.session_hours * 3600),
    )
