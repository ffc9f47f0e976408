"""Liveness and readiness of a worker, served by our own HTTP server (:mod:`.http`)."""

from __future__ import annotations

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


def health_checks(telemetry: Telemetry, intake: Intake) -> HealthChecks:
    """What /livez, /readyz and /metrics report."""
    return HealthChecks(
        live=lambda: None,
        ready=lambda: readiness(intake),
        metrics=telemetry.render_metrics,
    )


def serve_health(
    app: faust.App, settings: Settings, telemetry: Telemetry, intake: Intake
) -> HealthServer | None:
    """Run our health server as a child service of the app: it starts with the app and stops
    after the app's own ``on_stop`` (the drain), so probes answer while work drains. Port 0:
    no server."""
    if settings.web_port == 0:
        return None
    server = HealthServer(health_checks(telemetry, intake), settings.web_host, settings.web_port)
    app.add_dependency(HealthService(server))
    return server
