"""The SDK's loggers never go below INFO (content at DEBUG) and never above what was asked."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from moderation.llm.gateway import SDK_LOGGERS, keep_content_out_of_sdk_logs


@pytest.fixture
def levels() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in ("", *SDK_LOGGERS)]
    saved = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, saved, strict=True):
        logger.setLevel(level)


@pytest.mark.usefixtures("levels")
def test_a_quiet_worker_does_not_log_each_request() -> None:
    logging.getLogger().setLevel(logging.WARNING)
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    keep_content_out_of_sdk_logs()
    assert not any(logging.getLogger(n).isEnabledFor(logging.INFO) for n in SDK_LOGGERS)


@pytest.mark.usefixtures("levels")
def test_debug_stays_off_even_when_the_root_is_lowered_later() -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.getLogger("httpx2").setLevel(logging.DEBUG)
    keep_content_out_of_sdk_logs()
    logging.getLogger().setLevel(logging.NOTSET)
    assert not any(logging.getLogger(n).isEnabledFor(logging.DEBUG) for n in SDK_LOGGERS)
    assert logging.getLogger("anthropic").isEnabledFor(logging.INFO)
