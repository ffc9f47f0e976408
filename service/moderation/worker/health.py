"""Liveness, readiness and metrics pages on the worker's own web server (faust's aiohttp)."""

from __future__ import annotations

from typing import Any

import faust

from moderation.streaming.intake import Intake
from moderation.telemetry import Telemetry


def readiness(intake: Intake) -> tuple[bool, str]:
    """Ready when the intake holds partitions, no rebalance is under way and it is not paused."""
    if intake.failed is not None:
        return False, f"intake failed: {type(intake.failed).__name__}"
    if intake.paused_reason is not None:
        return False, f"paused: {intake.paused_reason}"
    if intake.rebalancing:
        return False, "rebalancing"
    if not intake.assignment:
        return False, "no partitions assigned"
    return True, f"{len(intake.assignment)} partitions assigned"


def install_pages(app: faust.App, telemetry: Telemetry, intake: Intake) -> None:
    @app.page("/livez")
    async def livez(web: Any, request: Any) -> Any:
        return web.json({"status": "alive"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        ready, detail = readiness(intake)
        return web.json({"ready": ready, "detail": detail}, status=200 if ready else 503)

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        page = telemetry.render_metrics()
        return web.bytes(page.body, headers={"Content-Type": page.content_type})
