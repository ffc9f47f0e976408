"""Every HTTP route of the console, in one table (a test asserts it exactly)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from moderation.console import api, ops, pages

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ROUTES: Final[tuple[tuple[str, str, Handler], ...]] = (
    # pages (session or proxy sign-in; guests are sent to /login)
    ("GET", "/", pages.home),
    ("GET", "/login", pages.login_form),
    ("POST", "/login", pages.login),
    ("POST", "/logout", pages.logout),
    ("GET", "/queue", pages.queue_page),
    ("GET", "/tasks/{task_id}", pages.task_page),
    ("GET", "/tasks/{task_id}/attachments/{index}", pages.attachment),
    ("GET", "/stats", pages.stats_page),
    ("GET", "/audit.csv", pages.audit_csv),
    ("GET", "/static/{name}", pages.static),
    # JSON API (API token, or the session with its CSRF token)
    ("GET", "/api/me", api.me),
    ("GET", "/api/queue", api.queue_list),
    ("POST", "/api/queue/next", api.claim_next),
    ("GET", "/api/tasks/{task_id}", api.task_detail),
    ("POST", "/api/tasks/{task_id}/claim", api.claim),
    ("POST", "/api/tasks/{task_id}/heartbeat", api.heartbeat),
    ("POST", "/api/tasks/{task_id}/release", api.release),
    ("POST", "/api/tasks/{task_id}/skip", api.skip),
    ("POST", "/api/tasks/{task_id}/decision", api.decision),
    ("POST", "/api/appeals/{task_id}/decision", api.appeal_decision),
    ("GET", "/api/stats", api.stats),
    # operations (no content; no sign-in)
    ("GET", "/livez", ops.livez),
    ("GET", "/readyz", ops.readyz),
    ("GET", "/metrics", ops.metrics),
)


def add_routes(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
