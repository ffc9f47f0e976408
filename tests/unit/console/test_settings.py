"""Console settings from the environment, and the CLI's one-line configuration errors."""

from __future__ import annotations

import argparse
from ipaddress import ip_network

import pytest

from moderation.console.cli import run_serve
from moderation.console.settings import DEFAULT_DATABASE_URL, AuthMode, ConsoleSettings


def test_defaults_are_secure_and_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = ConsoleSettings()
    assert settings.url() == DEFAULT_DATABASE_URL
    assert settings.secure_cookies is True
    assert settings.auth_mode is AuthMode.SESSION
    assert settings.host == "127.0.0.1"
    assert settings.lease_s == 600
    assert "**" in repr(settings.database_url)


def test_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:secret@db/console")
    monkeypatch.setenv("MODERATION_CONSOLE_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1/32")
    monkeypatch.setenv("MODERATION_CONSOLE_AUTH_MODE", "proxy")
    monkeypatch.setenv("MODERATION_TOPICS__HUMAN_REVIEW", "tasks.x")
    settings = ConsoleSettings()
    assert settings.url().endswith("@db/console")
    assert "secret" not in repr(settings)
    assert settings.trusted_proxies == (ip_network("10.0.0.0/8"), ip_network("192.168.1.1/32"))
    assert settings.auth_mode is AuthMode.PROXY
    assert settings.human_review_topic == "tasks.x"


def test_a_bad_setting_is_one_line_naming_the_variable_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MODERATION_CONSOLE_LEASE_S", "-1")
    status = run_serve(argparse.Namespace(port=None, host=None, no_migrate=False))
    assert status == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: MODERATION_CONSOLE_LEASE_S:")
    assert "\n" not in err
