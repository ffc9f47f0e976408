"""Liveness and readiness of a worker, served by :mod:`moderation.worker.http`."""

from __future__ import annotations

from collections.abc import Callable

import faust

from moderation.halt import IntakeHalt
from moderation.settings import Settings
from moderation.telemetry import Telemetry
from moderation.worker.http import HealthChecks, HealthServer
from moderation.worker.services import HealthService


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


def health_checks(
    app: faust.App,
    telemetry: Telemetry,
    halt: IntakeHalt,
    stalled: Callable[[], str | None] = lambda: None,
) -> HealthChecks:
    """What /livez and /readyz report. A configuration failure fails readiness, not liveness:
    a restart cannot fix a rejected key, and a restart loop would repeat the ERROR log."""

    def ready() -> tuple[bool, str]:
        if halt.reason is not None:
            return False, "halted: configuration failure (see the ERROR log)"
        return readiness(app)

    def live() -> str | None:
        return None if halt.tripped else stalled()

    return HealthChecks(live=live, ready=ready, metrics=telemetry.render_metrics)


def serve_health(
    app: faust.App,
    settings: Settings,
    telemetry: Telemetry,
    halt: IntakeHalt,
    stalled: Callable[[], str | None] = lambda: None,
) -> HealthServer | None:
    """Run our health server as a child service of the app: it starts with the app and stops
    after the app's own ``on_stop`` (the drain), so probes answer while work drains. Port 0:
    no server."""
    if settings.web_port == 0:
        return None
    checks = health_checks(app, telemetry, halt, stalled)
    server = HealthServer(checks, settings.web_host, settings.web_port)
    app.add_dependency(HealthService(server))
    return server
