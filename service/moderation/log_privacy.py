"""Keep message payloads out of the logs, whatever the log level: the one list of loggers that
would log them.

At DEBUG, aiokafka's producer and faust's topics log every record they send (values included)
and the Anthropic SDK and its HTTP client log every request body: the moderated content would
land in the logs. These loggers are pinned at INFO or above even when the service runs with
``MODERATION_LOG_LEVEL=debug`` (or ``ANTHROPIC_LOG=debug``).
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
    """Pin each payload-logging library logger at ``level`` or its current level if higher.

    The level is set on the logger itself, so lowering the root logger later does not reach
    them; it is never lowered, so a worker at ``warn`` does not log a line per HTTP request.
    """
    for name in PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(level, logger.getEffectiveLevel()))
