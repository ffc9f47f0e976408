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

from moderation.errors import ConfigurationError
from moderation.telemetry import Metrics

_log = logging.getLogger("moderation.halt")


class IntakeHalt:
    """Tripped once by a configuration failure; read by readiness and the stage runners."""

    def __init__(self, metrics: Metrics | None = None) -> None:
        self._metrics = metrics
        self._lock = threading.Lock()
        self.reason: str | None = None

    @property
    def tripped(self) -> bool:
        return self.reason is not None

    def trip(self, error: ConfigurationError, stage: str, where: str) -> bool:
        """Record the failure; True the first time (the one that logs), False after."""
        with self._lock:
            first = self.reason is None
            if first:
                self.reason = str(error)
        if self._metrics is not None:
            self._metrics.configuration_failure(stage, error.status)
        if first:
            _log.error(
                "configuration failure in stage %s at %s: %s; intake stopped, nothing past "
                "this record is committed or decided, readiness fails until restarted",
                stage,
                where,
                error,
            )
        return first
