"""Normal start-up events that client libraries log as errors, logged at INFO instead.

While a new consumer group forms, the broker answers "coordinator not available" for a moment;
aiokafka logs each retry at ERROR ("Group Coordinator Request failed: ..."). It is retried and
expected on a first start, so it must not look like a failure to a newcomer or an alert rule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

COORDINATOR_LOGGER = "aiokafka.consumer.group_coordinator"
CLIENT_LOGGER = "aiokafka"
_EXPECTED = ("CoordinatorNotAvailable", "NotCoordinatorForGroup", "GroupLoadInProgress")


class ExpectedRetriesAtInfo(logging.Filter):
    """Lower the retried coordinator-lookup errors of a forming group to INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            text = record.getMessage()
            if any(name in text for name in _EXPECTED):
                record.levelno = logging.INFO
                record.levelname = logging.getLevelName(logging.INFO)
        return True


class BootstrapFailuresAtInfo(logging.Filter):
    """While the worker starts, "Unable connect to host:port" is followed by our own one-line
    error naming KAFKA_BOOTSTRAP_SERVERS (``cli_errors``), so the library's line is INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.getMessage().startswith("Unable connect"):
            record.levelno = logging.INFO
            record.levelname = logging.getLevelName(logging.INFO)
        return True


def quiet_bootstrap_failures() -> Callable[[], None]:
    """Lower aiokafka's connection errors to INFO until the returned function is called (the
    worker's start-up steps; once running, a lost broker is an error again)."""
    logger = logging.getLogger(CLIENT_LOGGER)
    quiet = BootstrapFailuresAtInfo()
    logger.addFilter(quiet)
    return lambda: logger.removeFilter(quiet)


def quiet_expected_retries() -> None:
    """Install the filter once on aiokafka's coordinator logger."""
    logger = logging.getLogger(COORDINATOR_LOGGER)
    if not any(isinstance(f, ExpectedRetriesAtInfo) for f in logger.filters):
        logger.addFilter(ExpectedRetriesAtInfo())
