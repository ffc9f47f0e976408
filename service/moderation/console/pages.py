"""The HTML pages: sign-in, queue, item view, queue health; plus images, static files and CSV."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from typing import Any, Final

from aiohttp import web
from sqlalchemy.orm import Session

from moderation.console import accounts, appeal_views, audit, queue, views
from moderation.console.credentials import same
from moderation.console.models import QueueName
from moderation.console.principal import Principal
from moderation.console.render import render
from moderation.console.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    principal_of,
    set_cookie,
    state_of,
)
from moderation.console.settings import AuthMode
from moderation.console.stats import queue_health

STATIC: Final = Path(__file__).resolve().parent / "static"
STATIC_TYPES: Final = {".js": "text/javascript", ".css": "text/css"}
IMAGE_TYPES: Final = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    state = state_of(request)
    principal = principal_of(request)
    return html(
        render(
            state.templates,
            template,
            principal=principal,
            csrf_token=principal.csrf_token if principal else "",
            now=state.clock(),
            **context,
        ),
        status,
    )


def signed_in(request: web.Request) -> Principal:
    """The principal, or a redirect to the sign-in page (pages never show content to guests)."""
    principal = principal_of(request)
    if principal is None:
        raise web.HTTPSeeOther("/login")
    return principal


async def home(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/queue" if principal_of(request) else "/login")


async def login_form(request: web.Request) -> web.Response:
    state = state_of(request)
    if state.settings.auth_mode is AuthMode.PROXY:
        return page(request, "login.html", status=403, proxy=True, login_token="", failed=False)
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html", proxy=False, login_token=token, failed=False)
    set_cookie(response, state, LOGIN_COOKIE, token)
    return response


async def login(request: web.Request) -> web.Response:
    state = state_of(request)
    if state.settings.auth_mode is AuthMode.PROXY:
        return html("sign-in happens at the proxy", 403)
    form = await request.post()
    sent = str(form.get("login_token", ""))
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not sent or not expected or not same(sent, expected):
        return html("the sign-in form expired; reload the page", 403)
    username = str(form.get("username", ""))[:128]
    password = str(form.get("password", ""))[:1024]
    now = state.clock()
    hours = state.settings.session_hours

    def work(session: Session) -> accounts.NewSession | None:
        user = accounts.check_password(session, username, password)
        if user is None:
            audit.record(session, at=now, actor=username or "-", action="login_failed")
            return None
        audit.record(session, at=now, actor=user.username, action="login")
        return accounts.open_session(session, user, now=now, hours=hours)

    opened = await state.write(work)
    if opened is None:
        token = secrets.token_urlsafe(24)
        response = page(
            request, "login.html", status=401, proxy=False, login_token=token, failed=True
        )
        set_cookie(response, state, LOGIN_COOKIE, token)
        return response
    response = web.HTTPSeeOther("/queue")
    set_cookie(response, state, SESSION_COOKIE, opened.cookie)
    response.del_cookie(LOGIN_COOKIE, path="/")
    raise response


async def logout(request: web.Request) -> web.Response:
    state = state_of(request)
    signed_in(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await state.write(lambda s: accounts.close_session(s, cookie))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def queue_page(request: web.Request) -> web.Response:
    principal = signed_in(request)
    state = state_of(request)
    name = request.query.get("queue", QueueName.STANDARD.value)
    if name not in tuple(QueueName) or not principal.works_queue(name):
        name = QueueName.STANDARD.value
    chosen = QueueName(name)
    now = state.clock()

    def work(session: Session) -> tuple[int, list[dict[str, Any]]]:
        found = queue.open_tasks(session, principal, chosen, limit=100)
        return found.total, views.summaries(session, found.tasks, now)

    total, rows = await state.read(work)
    return page(
        request,
        "queue.html",
        queue=chosen.value,
        total=total,
        count_cap=queue.COUNT_CAP,
        rows=rows,
        senior=principal.works_queue(QueueName.SENIOR),
        appeals=principal.works_queue(QueueName.APPEALS),
    )


async def task_page(request: web.Request) -> web.Response:
    principal = signed_in(request)
    state = state_of(request)
    task_id = request.match_info["task_id"]
    now = state.clock()

    def work(session: Session) -> dict[str, Any]:
        return appeal_views.any_detail(
            session, queue.visible_task(session, principal, task_id), now
        )

    try:
        item = await state.read(work)
    except queue.TaskNotFound:
        return page(request, "missing.html", status=404)
    mine = item["claimed_by"] == principal.username
    if item["queue"] == QueueName.APPEALS:
        excluded = principal.username in item["excluded_reviewers"]
        return page(request, "appeal.html", item=item, mine=mine, excluded=excluded)
    flagged = [
        c["category"]
        for verdict in (item["review"], item["triage"])
        if verdict
        for c in verdict["categories"]
    ]
    known = state.categories_for(item["tenant_id"])
    ordered = list(dict.fromkeys([*flagged, *known]))
    return page(request, "task.html", item=item, categories=ordered, mine=mine)


async def attachment(request: web.Request) -> web.Response:
    """An inline image from the task, served from our origin (never a URL from the content)."""
    principal = signed_in(request)
    state = state_of(request)
    task_id = request.match_info["task_id"]
    try:
        index = int(request.match_info["index"])
    except ValueError:
        raise web.HTTPNotFound() from None

    def work(session: Session) -> tuple[bytes, str] | None:
        task = queue.visible_task(session, principal, task_id)
        if task.queue == QueueName.APPEALS:  # an appeal carries no content of its own
            return None
        items = views.parsed(task).request.attachments
        if not 0 <= index < len(items):
            return None
        item = items[index]
        if item.data is None or item.media_type is None:
            return None
        return base64.b64decode(item.data), item.media_type.value

    try:
        found = await state.read(work)
    except queue.TaskNotFound:
        found = None
    if found is None or found[1] not in IMAGE_TYPES:
        raise web.HTTPNotFound()
    data, media_type = found
    return web.Response(
        body=data,
        content_type=media_type,
        headers={"Content-Disposition": "inline", "Cache-Control": "private, no-store"},
    )


async def stats_page(request: web.Request) -> web.Response:
    principal = signed_in(request)
    if not principal.is_admin:
        return page(request, "missing.html", status=403)
    state = state_of(request)
    now = state.clock()
    health = await state.read(lambda s: queue_health(s, now))
    return page(request, "stats.html", health=health)


async def audit_csv(request: web.Request) -> web.StreamResponse:
    principal = signed_in(request)
    if not principal.is_admin:
        raise web.HTTPForbidden(text="the audit export is for admins")
    state = state_of(request)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="console-audit.csv"',
        }
    )
    await response.prepare(request)
    lines = await state.read(lambda s: list(audit.export_csv(s)))
    for line in lines:
        await response.write(line.encode())
    await response.write_eof()
    return response


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    path = STATIC / name
    kind = STATIC_TYPES.get(path.suffix)
    if kind is None or "/" in name or name.startswith(".") or not path.is_file():
        raise web.HTTPNotFound()
    return web.Response(
        body=path.read_bytes(),
        content_type=kind,
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )
