"""Liveness, readiness and metrics pages on the worker's own web server (faust's aiohttp)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust

from moderation.telemetry import Telemetry


def readiness(app: faust.App) -> tuple[bool, str]:
    """Ready when the consumer has partitions assigned and no rebalance is under way."""
    if app.rebalancing:
        return False, "rebalancing"
    try:
        assignment = app.consumer.assignment()
    except Exception:
        return False, "consumer not started"
    if not assignment:
        return False, "no partitions assigned"
    return True, f"{len(assignment)} partitions assigned"


def install_pages(
    app: faust.App,
    telemetry: Telemetry,
    stalled: Callable[[], str | None] = lambda: None,
    not_ready: Callable[[], str | None] = lambda: None,
) -> None:
    """``not_ready`` names a dependency that keeps the worker from doing real work (the model
    API), or None; readiness fails while it says so."""

    @app.page("/livez")
    async def livez(web: Any, request: Any) -> Any:
        problem = stalled()
        if problem is not None:
            return web.json({"status": "stalled", "detail": problem}, status=503)
        return web.json({"status": "alive"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        ready, detail = readiness(app)
        problem = not_ready()
        if ready and problem is not None:
            ready, detail = False, problem
        return web.json({"ready": ready, "detail": detail}, status=200 if ready else 503)

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        page = telemetry.render_metrics()
        return web.bytes(page.body, headers={"Content-Type": page.content_type})
