"""Console integration fixtures: a real PostgreSQL server (throwaway, or DATABASE_URL), a fresh
database per test, and the console as a real ``moderation console serve`` process."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import Engine, create_engine, make_url, text

from moderation.console.db import make_engine, migrate
from moderation_dev.devkafka import free_port
from moderation_dev.devpostgres import local_postgres
from tests.integration.console.console_process_harness import ConsoleProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    assert not missing, f"install Debian's chromium and chromium-driver (missing: {missing})"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",  # tests run as root in CI containers
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(
        service=Service(executable_path=str(CHROMEDRIVER), log_output=str(tmp_path / "driver.log")),
        options=options,
    )
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server URL; installs and starts a throwaway cluster when none is given."""
    with local_postgres() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the server for one test (dropped after)."""
    name = f"console_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test runs on the embedded default and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'console.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def any_engine(any_url: str) -> Iterator[Engine]:
    engine = make_engine(any_url, pool_size=16)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def console_factory(
    kafka_bootstrap: str, tmp_path: Path
) -> Iterator[Callable[..., ConsoleProcess]]:
    started: list[ConsoleProcess] = []

    def make(database_url: str, topics: dict[str, str], **extra: str) -> ConsoleProcess:
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("MODERATION_", "OTEL_")) and k != "DATABASE_URL"
            },
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "MODERATION_CONSOLE_PORT": str(free_port()),
            "MODERATION_CONSOLE_GROUP_ID": f"console-{uuid.uuid4().hex[:8]}",
            "MODERATION_TOPICS__HUMAN_REVIEW": topics["human_review"],
            "MODERATION_TOPICS__HUMAN_DECISIONS": topics["human_decisions"],
            "MODERATION_TOPICS__DEADLETTER": topics["deadletter"],
            # This test's own appeal topics unless it names them (never the shared defaults).
            "MODERATION_TOPICS__APPEAL_TASKS": topics["human_review"] + ".appeal-tasks",
            "MODERATION_TOPICS__APPEAL_DECISIONS": topics["human_review"] + ".appeal-decisions",
            **extra,
        }
        made = ConsoleProcess(
            env, int(env["MODERATION_CONSOLE_PORT"]), tmp_path / f"console-{len(started)}.log"
        )
        started.append(made)
        return made

    yield make
    for process in started:
        process.stop()
        print(f"--- {process.log_path.name} ---\n{process.log()}")
