"""Console integration fixtures: a real PostgreSQL server (throwaway, or DATABASE_URL), a fresh
database per test, and the console as a real ``moderation console serve`` process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from moderation.console.db import make_engine, migrate
from moderation.console.devpostgres import local_postgres
from moderation.devkafka import free_port


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


@dataclass
class ConsoleProcess:
    """One ``moderation console serve`` process."""

    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, password: str | None = None) -> str:
        env = dict(self.env)
        if password is not None:
            env["MODERATION_CONSOLE_PASSWORD"] = password
        done = subprocess.run(
            [sys.executable, "-m", "moderation.cli", "console", *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return done.stdout.strip()

    def start(self, timeout: float = 40.0) -> ConsoleProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moderation.cli", "console", "serve"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"console exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as answer:  # noqa: S310
                    if answer.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"console not ready in {timeout}s:\n{self.log()}")

    def stop(self) -> int:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return 0 if self.process is None else int(self.process.returncode)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log)"


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
