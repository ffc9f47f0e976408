"""The payload loggers (SDK, HTTP client, Kafka clients) never go below INFO (content at
DEBUG) and never above what was asked."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from moderation.log_privacy import PAYLOAD_LOGGERS, cap_payload_loggers


@pytest.fixture
def levels() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in ("", *PAYLOAD_LOGGERS)]
    saved = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, saved, strict=True):
        logger.setLevel(level)


@pytest.mark.usefixtures("levels")
def test_a_quiet_worker_does_not_log_each_request() -> None:
    logging.getLogger().setLevel(logging.WARNING)
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    cap_payload_loggers()
    assert not any(logging.getLogger(n).isEnabledFor(logging.INFO) for n in PAYLOAD_LOGGERS)


@pytest.mark.usefixtures("levels")
def test_debug_stays_off_even_when_the_root_is_lowered_later() -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.getLogger("httpx2").setLevel(logging.DEBUG)
    cap_payload_loggers()
    logging.getLogger().setLevel(logging.NOTSET)
    assert not any(logging.getLogger(n).isEnabledFor(logging.DEBUG) for n in PAYLOAD_LOGGERS)
    assert logging.getLogger("anthropic").isEnabledFor(logging.INFO)
