"""The worker reads one settings root: flags over the environment, unknown variables named."""

from __future__ import annotations

import logging
import os

import pytest

from moderation.settings import Stage
from moderation.worker.settings_check import load_settings, warn_unknown_variables


def test_flags_win_over_the_environment_and_stay_out_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODERATION_STAGES", "review")
    monkeypatch.delenv("MODERATION_WEB_PORT", raising=False)
    settings = load_settings(stages="triage,finalize", web_port=7001)
    assert settings.stages == (Stage.TRIAGE, Stage.FINALIZE)
    assert settings.web_port == 7001
    assert os.environ["MODERATION_STAGES"] == "review"
    assert "MODERATION_WEB_PORT" not in os.environ


def test_absent_flags_leave_the_environment_in_charge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_STAGES", "review")
    assert load_settings(stages=None, web_port=None).stages == (Stage.REVIEW,)


def test_lever_settings_come_from_the_same_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_VERDICT_CACHE__MAX_ENTRIES", "12")
    monkeypatch.setenv("MODERATION_BATCH__ENABLED", "true")
    monkeypatch.setenv("MODERATION_SHADOW__SHARE_PERCENT", "5")
    monkeypatch.setenv("MODERATION_CANARY__UNIT", "item")
    settings = load_settings()
    assert settings.verdict_cache.max_entries == 12
    assert settings.batch.covers("triage")
    assert settings.shadow.share_percent == 5.0
    assert settings.canary.unit.value == "item"


def test_one_warning_names_every_unknown_variable(caplog: pytest.LogCaptureFixture) -> None:
    environ = {
        "MODERATION_LOG_FORMAT": "json",  # the chart's production values once set this
        "MODERATION_TRIAGE__MAX_INFLIGHT": "3",
        "MODERATION_TRIAGE__MAX_IN_FLIGHT": "3",
        "MODERATION_VERDICT_CACHE__ENABLED": "false",
        "MODERATION_CONSOLE_PORT": "8080",  # the console's own root
        "MODERATION_HOME": "cache",
        "KAFKA_BOOTSTRAP_SERVERS": "k:9092",
        "MODERATION_BOOTSTRAP_SERVERS": "k:9092",
    }
    with caplog.at_level(logging.WARNING):
        unknown = warn_unknown_variables(environ, logging.getLogger("test"))
    assert unknown == ["MODERATION_LOG_FORMAT", "MODERATION_TRIAGE__MAX_INFLIGHT"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "MODERATION_LOG_FORMAT, MODERATION_TRIAGE__MAX_INFLIGHT" in warnings[0].getMessage()


def test_known_variables_say_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert warn_unknown_variables({"MODERATION_STAGES": "triage"}, logging.getLogger("t")) == []
    assert caplog.records == []
