"""Liveness and readiness of a worker, served by our own HTTP server (:mod:`.http`)."""

from __future__ import annotations

from collections.abc import Callable

import faust

from moderation.settings import Settings
from moderation.streaming.intake import Intake
from moderation.telemetry import Telemetry
from moderation.worker.http import HealthChecks, HealthServer
from moderation.worker.services import HealthService


def readiness(intake: Intake) -> tuple[bool, str]:
    """Ready when the intake holds partitions, no rebalance is under way and it is not paused
    (a configuration failure pauses it: see :mod:`moderation.halt`)."""
    if intake.failed is not None:
        return False, f"intake failed: {type(intake.failed).__name__}"
    if intake.paused_reason is not None:
        return False, f"paused: {intake.paused_reason}"
    if intake.rebalancing:
        return False, "rebalancing"
    if not intake.assignment:
        return False, "no partitions assigned"
    return True, f"{len(intake.assignment)} partitions assigned"


def health_checks(
    telemetry: Telemetry, intake: Intake, not_ready: Callable[[], str | None] = lambda: None
) -> HealthChecks:
    """What /livez, /readyz and /metrics report. ``not_ready`` names a dependency that keeps
    the worker from doing real work (the model API), or None; readiness fails while it does."""

    def ready() -> tuple[bool, str]:
        ok, detail = readiness(intake)
        problem = not_ready()
        return (False, problem) if ok and problem is not None else (ok, detail)

    return HealthChecks(live=lambda: None, ready=ready, metrics=telemetry.render_metrics)


def serve_health(
    app: faust.App,
    settings: Settings,
    telemetry: Telemetry,
    intake: Intake,
    not_ready: Callable[[], str | None] = lambda: None,
) -> HealthServer | None:
    """Run our health server as a child service of the app: it starts with the app and stops
    after the app's own ``on_stop`` (the drain), so probes answer while work drains. Port 0:
    no server."""
    if settings.web_port == 0:
        return None
    checks = health_checks(telemetry, intake, not_ready)
    server = HealthServer(checks, settings.web_host, settings.web_port)
    app.add_dependency(HealthService(server))
    return server
