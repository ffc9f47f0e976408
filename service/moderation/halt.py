"""The worker's stop signal for configuration failures: one flag every part can read.

When the Anthropic API rejects the deployment itself (401 credentials, 402 billing, 403
permissions) no item can be judged correctly, and failing open would allow everything. The
first :class:`~moderation.errors.ConfigurationError` trips the :class:`IntakeHalt`: one ERROR
log line, one metric, readiness fails from then on. The stage runner stops taking records and
leaves the failed record unfinished, so no offset past it is committed and no decision is made
for it. The worker stays alive (a restart cannot fix a key), the orchestrator stops routing to
it, and an operator fixes the secret and restarts it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from moderation.errors import ConfigurationError
from moderation.telemetry import Metrics

_log = logging.getLogger("moderation.halt")


class IntakeHalt:
    """Tripped once by a configuration failure; read by readiness and the stage runners."""

    def __init__(self, metrics: Metrics | None = None) -> None:
        self._metrics = metrics
        self._lock = threading.Lock()
        self._listeners: list[Callable[[str], None]] = []
        self.reason: str | None = None

    def listen(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(reason)`` once, when the halt trips (e.g. the intake's pause)."""
        self._listeners.append(listener)

    @property
    def tripped(self) -> bool:
        return self.reason is not None

    def trip(self, error: ConfigurationError, stage: str, where: str) -> bool:
        """Record the failure; True the first time (the one that is reported), False after."""
        reason = (
            f"configuration failure in stage {stage} at {where}: {error}; nothing at or past "
            "this record is committed or decided; fix it and restart the worker"
        )
        with self._lock:
            first = self.reason is None
            if first:
                self.reason = reason
        if self._metrics is not None:
            self._metrics.configuration_failure(stage, error.status)
        if first:
            if self._listeners:
                for listener in self._listeners:
                    listener(reason)
            else:
                _log.error("%s", reason)
        return first
