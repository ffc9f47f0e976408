"""Liveness and readiness of a worker, served by our own HTTP server (:mod:`.http`).

Readiness is a list of small checks, each answering "ready, and why" or "not ready, and why":
:class:`IntakeReadiness` (partitions held, no rebalance, not paused) and
:class:`DependencyReadiness` (a dependency the worker needs, e.g. the model API). The worker is
ready when every check is; the first that is not names the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import faust

from moderation.settings import Settings
from moderation.streaming.intake import Intake
from moderation.telemetry import Telemetry
from moderation.worker.http import HealthChecks, HealthServer
from moderation.worker.services import HealthService

Answer = tuple[bool, str]


class ReadinessCheck(Protocol):
    def __call__(self) -> Answer: ...


class IntakeState(Protocol):
    """What readiness reads of the intake (:class:`~moderation.streaming.intake.Intake`)."""

    @property
    def failed(self) -> BaseException | None: ...

    @property
    def paused_reason(self) -> str | None: ...

    @property
    def rebalancing(self) -> bool: ...

    @property
    def assignment(self) -> frozenset[object]: ...


@dataclass(frozen=True)
class IntakeReadiness:
    """Ready when the intake holds partitions, no rebalance is under way and it is not paused
    (a configuration failure pauses it: see :mod:`moderation.halt`)."""

    intake: IntakeState

    def __call__(self) -> Answer:
        intake = self.intake
        if intake.failed is not None:
            return False, f"intake failed: {type(intake.failed).__name__}"
        if intake.paused_reason is not None:
            return False, f"paused: {intake.paused_reason}"
        if intake.rebalancing:
            return False, "rebalancing"
        if not intake.assignment:
            return False, "no partitions assigned"
        return True, f"{len(intake.assignment)} partitions assigned"


@dataclass(frozen=True)
class DependencyReadiness:
    """Not ready while ``problem`` names one (e.g. the model API cannot be reached)."""

    problem: Callable[[], str | None]

    def __call__(self) -> Answer:
        problem = self.problem()
        return (False, problem) if problem is not None else (True, "")


@dataclass(frozen=True)
class Readiness:
    """Ready when every check is; the first failing check's reason, else the first's detail."""

    checks: Sequence[ReadinessCheck]

    def __call__(self) -> Answer:
        details = []
        for check in self.checks:
            ok, detail = check()
            if not ok:
                return False, detail
            details.append(detail)
        return True, next((detail for detail in details if detail), "ready")


def health_checks(
    telemetry: Telemetry, intake: Intake, not_ready: Callable[[], str | None] = lambda: None
) -> HealthChecks:
    """What /livez, /readyz and /metrics report. ``not_ready`` names a dependency that keeps
    the worker from doing real work (the model API), or None; readiness fails while it does."""
    ready = Readiness((IntakeReadiness(intake), DependencyReadiness(not_ready)))
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
