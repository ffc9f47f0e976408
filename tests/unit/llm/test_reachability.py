"""While the model API is unreachable: one ERROR line per minute with a counter, not per item."""

from __future__ import annotations

import logging

import anthropic
import pytest

from moderation.llm.reachability import ApiCheck, ApiWatch

DOWN = ApiCheck(False, "http://127.0.0.1:9 cannot be reached (ConnectError)")


def test_one_error_line_per_minute_while_down(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    watch = ApiWatch(anthropic.AsyncAnthropic(api_key="sk-test"), clock=lambda: now[0])
    assert watch.problem() is None
    with caplog.at_level(logging.INFO, logger="moderation.llm.reachability"):
        for _ in range(13):  # a check every 10 s for two minutes
            watch.record(DOWN)
            now[0] += 10.0
        assert watch.problem() == f"model API: {DOWN.detail}"
        watch.record(ApiCheck(True, "answers"))
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 3  # at 0 s, 60 s and 120 s
    assert "(1 failed checks)" in errors[0]
    assert "(13 failed checks)" in errors[2]
    assert watch.problem() is None
    assert "reachable again" in caplog.records[-1].getMessage()
