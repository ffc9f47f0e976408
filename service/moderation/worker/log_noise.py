"""Normal start-up events that client libraries log as errors, logged at INFO instead.

While a new consumer group forms, the broker answers "coordinator not available" for a moment;
aiokafka logs each retry at ERROR ("Group Coordinator Request failed: ..."). It is retried and
expected on a first start, so it must not look like a failure to a newcomer or an alert rule.
"""

from __future__ import annotations

import logging

COORDINATOR_LOGGER = "aiokafka.consumer.group_coordinator"
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


def quiet_expected_retries() -> None:
    """Install the filter once on aiokafka's coordinator logger."""
    logger = logging.getLogger(COORDINATOR_LOGGER)
    if not any(isinstance(f, ExpectedRetriesAtInfo) for f in logger.filters):
        logger.addFilter(ExpectedRetriesAtInfo())
