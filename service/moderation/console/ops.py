"""Liveness, readiness and Prometheus metrics: counts only, never content."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import text

from moderation.console.security import state_of
from moderation.console.stats import metrics_text, queue_health


async def livez(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    state = state_of(request)
    try:
        await state.read(lambda s: s.execute(text("SELECT 1")).scalar())
    except Exception as exc:  # any database failure means "not ready"
        return web.json_response(
            {"ready": False, "detail": f"database: {type(exc).__name__}"}, status=503
        )
    if not state.ingest_running:
        return web.json_response({"ready": False, "detail": "ingest not started"}, status=503)
    return web.json_response({"ready": True, "detail": "database answers, ingest running"})


async def metrics(request: web.Request) -> web.Response:
    state = state_of(request)
    now = state.clock()
    health = await state.read(lambda s: queue_health(s, now))
    body = metrics_text(health)
    ingest = state.ingest
    extra = (
        "# HELP console_ingested_tasks Tasks stored by this process\n"
        "# TYPE console_ingested_tasks counter\n"
        f"console_ingested_tasks_total {ingest.stored}\n"
        "# HELP console_dead_letters Task records dead-lettered by this process\n"
        "# TYPE console_dead_letters counter\n"
        f"console_dead_letters_total {ingest.dead_letters}\n"
    )
    return web.Response(body=body + extra.encode(), content_type="text/plain", charset="utf-8")
