"""A settings mistake is reported under the environment variable the user set."""

from __future__ import annotations

import logging
import re

import pytest
from pydantic import ValidationError

from moderation.cli_errors import USAGE, explain, explain_validation
from moderation.settings import Settings
from moderation.worker.log_noise import COORDINATOR_LOGGER, quiet_expected_retries
from moderation.worker.web_port import default_web_port


def _error(make: type[object], monkeypatch: pytest.MonkeyPatch, **env: str) -> ValidationError:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        make()
    return caught.value


@pytest.mark.parametrize(
    ("make", "variable", "value"),
    [
        (Settings, "MODERATION_VERDICT_CACHE__ENABLED", "maybe"),
        (Settings, "MODERATION_BATCH__TIERS", "bogus"),
        (Settings, "MODERATION_SHADOW__SHARE_PERCENT", "200"),
        (Settings, "MODERATION_TRIAGE__MAX_IN_FLIGHT", "0"),
        (Settings, "MODERATION_KAFKA__SECURITY_PROTOCOL", "TLS"),
        (Settings, "MODERATION_STAGES", "triage,bogus"),
    ],
)
def test_the_line_names_the_variable_and_the_value(
    make: type[object], variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    explained = explain_validation(_error(make, monkeypatch, **{variable: value}))
    assert explained.status == USAGE
    assert explained.line.startswith(f"error: {variable}=")
    assert repr(value) in explained.line or variable == "MODERATION_STAGES"
    assert "\n" not in explained.line
    assert "validation error" not in explained.line  # not pydantic's multi-line report


def test_a_standard_variable_keeps_its_own_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "")
    monkeypatch.setenv("MODERATION_APP_ID", "Bad Id")
    explained = explain_validation(_error(Settings, monkeypatch))
    assert "MODERATION_APP_ID='Bad Id'" in explained.line


def test_an_unknown_exception_keeps_its_traceback() -> None:
    assert explain(ZeroDivisionError()) is None


def test_per_stage_workers_get_distinct_default_ports() -> None:
    from moderation.settings import ALL_STAGES, Stage

    layouts = [(Stage.TRIAGE,), (Stage.REVIEW,), (Stage.FINALIZE,), (Stage.REVIEW, Stage.FINALIZE)]
    ports = [default_web_port(stages) for stages in layouts]
    assert len(set(ports)) == len(ports)
    assert default_web_port(ALL_STAGES) == 6066
    assert 6066 not in ports


def test_a_forming_groups_coordinator_retry_is_info(caplog: pytest.LogCaptureFixture) -> None:
    from aiokafka.errors import GroupCoordinatorNotAvailableError

    quiet_expected_retries()
    logger = logging.getLogger(COORDINATOR_LOGGER)
    with caplog.at_level(logging.INFO, logger=COORDINATOR_LOGGER):
        logger.error("Group Coordinator Request failed: %s", GroupCoordinatorNotAvailableError())
        logger.error("Heartbeat session expired - marking coordinator dead")
    assert [r.levelname for r in caplog.records] == ["INFO", "ERROR"]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from moderation.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert re.fullmatch(r"moderation \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


def test_a_rule_across_settings_names_both_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    explained = explain_validation(_error(Settings, monkeypatch, MODERATION_ITEM_DEADLINE_S="5"))
    assert explained.line.startswith("error: invalid settings: MODERATION_TRIAGE__CALL_BUDGET_S")
    assert "MODERATION_ITEM_DEADLINE_S (5.0s)" in explained.line


def test_without_the_development_tools_their_commands_say_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from moderation import cli

    monkeypatch.setattr(cli, "_dev_tools_installed", lambda: False)
    for argv in (["dev", "kafka", "up"], ["demo", "--limit", "3"], ["dev"]):
        assert cli.main(argv) == USAGE
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "development tools are not installed" in err


def test_a_lazy_import_of_the_development_tools_is_explained() -> None:
    explained = explain(
        ModuleNotFoundError("No module named 'moderation_dev'", name="moderation_dev")
    )
    assert explained is not None
    assert explained.status == USAGE
    assert "make install" in explained.line
    assert explain(ModuleNotFoundError("x", name="yaml")) is None
