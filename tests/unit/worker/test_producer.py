"""A produce the broker never answers must fail soon, so the runner sends it again."""

from __future__ import annotations

import pytest

from moderation.policy import PolicyBook
from moderation.settings import Settings
from moderation.telemetry import setup_for_tests
from moderation.worker.app import build_app


@pytest.mark.parametrize("timeout_s", [30.0, 12.5])
def test_the_producer_gives_up_on_a_silent_broker_after_send_timeout(timeout_s: float) -> None:
    settings = Settings(anthropic_api_key="sk-test", stages=("finalize",), send_timeout_s=timeout_s)
    wiring = build_app(settings, setup_for_tests(), PolicyBook.load())
    assert wiring.app.conf.producer_request_timeout == timeout_s
