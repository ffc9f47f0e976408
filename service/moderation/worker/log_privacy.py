"""Keep message payloads out of the logs, whatever the log level.

At DEBUG, aiokafka's producer and faust's topics log every record they send (values included)
and the Anthropic SDK logs every request body: the moderated content would land in the logs.
These loggers are capped at INFO even when the service runs with ``MODERATION_LOG_LEVEL=debug``.
"""

from __future__ import annotations

import logging

PAYLOAD_LOGGERS: tuple[str, ...] = (
    "aiokafka",
    "faust.topics",
    "faust.transport",
    "anthropic",
    "httpx2",
    "httpx",
    "httpcore",
)


def cap_payload_loggers(level: int = logging.INFO) -> None:
    """Raise each payload-logging library logger to at least ``level``."""
    for name in PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < level:
            logger.setLevel(level)
