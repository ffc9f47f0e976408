"""The JSON API: what scripts (API tokens) and the UI's own JavaScript (session) call.

Every task route checks the tenant and the queue: a task the caller may not see answers 404,
exactly as a task that does not exist.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.orm import Session

from moderation.console import appeal_decisions, appeal_views, decisions, queue, views
from moderation.console.models import QueueName
from moderation.console.principal import Principal
from moderation.console.security import principal_of, state_of
from moderation.console.stats import queue_health
from moderation_contracts import AppealVerdict, CategoryScore, HumanAction

P = TypeVar("P")

MAX_BODY_BYTES = 64 * 1024
MAX_PAGE = 200


def error(status: int, code: str, detail: str) -> web.Response:
    return web.json_response({"error": code, "detail": detail}, status=status)


def require(request: web.Request) -> Principal:
    principal = principal_of(request)
    if principal is None:
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "unauthenticated", "detail": "sign in or send a token"}),
            content_type="application/json",
        )
    return principal


def _queue_name(request: web.Request, principal: Principal) -> QueueName:
    name = request.query.get("queue", QueueName.STANDARD.value)
    try:
        chosen = QueueName(name)
    except ValueError:
        raise web.HTTPBadRequest(
            text=json.dumps(
                {"error": "bad_queue", "detail": "queue is standard, senior or appeals"}
            ),
            content_type="application/json",
        ) from None
    if not principal.works_queue(chosen):
        raise web.HTTPForbidden(
            text=json.dumps(
                {"error": "forbidden", "detail": f"the {chosen} queue needs senior or admin"}
            ),
            content_type="application/json",
        )
    return chosen


def _int(request: web.Request, name: str, default: int, top: int) -> int:
    try:
        return max(0, min(top, int(request.query.get(name, default))))
    except ValueError:
        return default


async def me(request: web.Request) -> web.Response:
    principal = require(request)
    return web.json_response(
        {
            "username": principal.username,
            "role": principal.role.value,
            "tenants": None if principal.tenants is None else sorted(principal.tenants),
            "via": principal.via,
        }
    )


async def queue_list(request: web.Request) -> web.Response:
    principal = require(request)
    state = state_of(request)
    chosen = _queue_name(request, principal)
    limit = _int(request, "limit", 50, MAX_PAGE)
    offset = _int(request, "offset", 0, 10**9)
    now = state.clock()

    def work(session: Session) -> dict[str, Any]:
        page = queue.open_tasks(session, principal, chosen, limit=limit, offset=offset)
        return {
            "total": min(page.total, queue.COUNT_CAP),
            "more": page.total > queue.COUNT_CAP,
            "tasks": views.summaries(session, page.tasks, now),
        }

    return web.json_response(await state.read(work))


async def claim_next(request: web.Request) -> web.Response:
    principal = require(request)
    state = state_of(request)
    chosen = _queue_name(request, principal)
    now = state.clock()

    def work(session: Session) -> dict[str, Any] | None:
        task = queue.claim_next(
            session,
            principal,
            chosen,
            now=now,
            lease_s=state.settings.lease_s,
            skip_locked=state.skip_locked,
        )
        return None if task is None else views.summaries(session, [task], now)[0]

    claimed = await state.write(work)
    if claimed is None:
        return error(404, "queue_empty", "no task left for you in this queue")
    return web.json_response(claimed)


async def task_detail(request: web.Request) -> web.Response:
    principal = require(request)
    state = state_of(request)
    task_id = request.match_info["task_id"]
    now = state.clock()

    def work(session: Session) -> dict[str, Any]:
        return appeal_views.any_detail(
            session, queue.visible_task(session, principal, task_id), now
        )

    return await _answer(state.read(work))


async def _answer(pending: Any) -> web.Response:
    try:
        return web.json_response(await pending)
    except queue.TaskNotFound:
        return error(404, "not_found", "no such task")
    except queue.TaskConflict as conflict:
        return error(409, "conflict", str(conflict))


def _task_action(name: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        principal = require(request)
        state = state_of(request)
        task_id = request.match_info["task_id"]
        now = state.clock()
        lease_s = state.settings.lease_s

        def work(session: Session) -> dict[str, Any]:
            if name == "claim":
                task = queue.claim(session, principal, task_id, now=now, lease_s=lease_s)
            elif name == "heartbeat":
                task = queue.heartbeat(session, principal, task_id, now=now, lease_s=lease_s)
            elif name == "release":
                task = queue.release(session, principal, task_id, now=now)
            else:
                task = queue.skip(session, principal, task_id, now=now)
            return views.summaries(session, [task], now)[0]

        return await _answer(state.write(work))

    handler.__name__ = name
    return handler


claim = _task_action("claim")
heartbeat = _task_action("heartbeat")
release = _task_action("release")
skip = _task_action("skip")


def _parse_decision(body: Any) -> tuple[HumanAction, list[CategoryScore], str]:
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    try:
        action = HumanAction(str(body.get("action")))
    except ValueError:
        raise ValueError("action must be allow, remove or escalate") from None
    raw = body.get("categories", [])
    if not isinstance(raw, list):
        raise ValueError("categories must be a list")
    categories = [
        CategoryScore.model_validate(
            {"severity": "high", **item} if isinstance(item, dict) else item
        )
        for item in raw
    ]
    notes = body.get("notes", "")
    if not isinstance(notes, str):
        raise ValueError("notes must be a string")
    return action, categories, notes


def _describe(problem: ValueError) -> str:
    if isinstance(problem, ValidationError):
        first = problem.errors(include_input=False, include_url=False, include_context=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return str(problem)


async def _decide_through_outbox(
    request: web.Request,
    parse: Callable[[Any], P],
    decide: Callable[[Session, Principal, str, P, datetime], dict[str, Any]],
) -> web.Response:
    """One claimed task closed by its reviewer: the body parsed by ``parse``, the decision
    recorded by ``decide`` in one transaction (outbox included), the outbox woken."""
    principal = require(request)
    state = state_of(request)
    task_id = request.match_info["task_id"]
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return error(413, "too_large", f"the body is limited to {MAX_BODY_BYTES} bytes")
    try:
        parsed = parse(await request.json())
    except json.JSONDecodeError:
        return error(400, "invalid_json", "send a JSON object")
    except ValueError as problem:
        return error(400, "invalid_decision", _describe(problem))
    now = state.clock()

    def work(session: Session) -> dict[str, Any]:
        return decide(session, principal, task_id, parsed, now)

    try:
        answer = await _answer(state.write(work))
    except ValueError as problem:
        return error(400, "invalid_decision", _describe(problem))
    if answer.status == 200:
        state.outbox_wake.set()
    return answer


async def decision(request: web.Request) -> web.Response:
    topic = state_of(request).settings.human_decisions_topic

    def decide(
        session: Session,
        principal: Principal,
        task_id: str,
        parsed: tuple[HumanAction, list[CategoryScore], str],
        now: datetime,
    ) -> dict[str, Any]:
        action, categories, notes = parsed
        made = decisions.decide(
            session,
            principal,
            task_id,
            action=action,
            categories=categories,
            notes=notes,
            topic=topic,
            now=now,
        )
        return {"task_id": task_id, "action": made.action.value, "queued": True}

    return await _decide_through_outbox(request, _parse_decision, decide)


def _parse_appeal_decision(body: Any) -> tuple[AppealVerdict, str]:
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    try:
        outcome = AppealVerdict(str(body.get("outcome")))
    except ValueError:
        raise ValueError("outcome must be upheld or overturned") from None
    reason = body.get("reason", "")
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("reason must be a non-empty string: it is told to the appellant")
    return outcome, reason


async def appeal_decision(request: web.Request) -> web.Response:
    """Decide a claimed appeal: ``{"outcome": "upheld"|"overturned", "reason": "..."}``."""
    topic = state_of(request).settings.appeal_decisions_topic

    def decide(
        session: Session,
        principal: Principal,
        task_id: str,
        parsed: tuple[AppealVerdict, str],
        now: datetime,
    ) -> dict[str, Any]:
        outcome, reason = parsed
        made = appeal_decisions.decide_appeal(
            session, principal, task_id, outcome=outcome, reason=reason, topic=topic, now=now
        )
        return {"task_id": task_id, "outcome": made.outcome.value, "queued": True}

    return await _decide_through_outbox(request, _parse_appeal_decision, decide)


async def stats(request: web.Request) -> web.Response:
    principal = require(request)
    if not principal.is_admin:
        return error(403, "forbidden", "queue health is for admins")
    state = state_of(request)
    now = state.clock()
    health = await state.read(lambda s: queue_health(s, now))
    return web.json_response(
        {
            "pending_total": health.pending_total,
            "pending_by_priority": health.pending_by(1),
            "pending_by_tenant": health.pending_by(2),
            "pending_by_queue": health.pending_by(0),
            "claimed": health.claimed,
            "overdue_by_tenant": health.overdue,
            "oldest_age_s": health.oldest_age_s,
            "decisions_last_hour": health.decisions_last_hour,
            "median_handling_s": health.median_handling_s,
            "outbox_unsent": health.outbox_unsent,
        }
    )
