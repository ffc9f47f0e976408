"""The console's web app on an SQLite file, served over loopback HTTP by aiohttp's test server."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine

from moderation.console.accounts import add_token, add_user
from moderation.console.app import build_app
from moderation.console.db import make_engine, migrate, sessions
from moderation.console.settings import ConsoleSettings
from moderation.console.state import ConsoleState
from moderation.policy.book import PolicyBook
from tests.component.console.console_web_harness import PASSWORD, USERS, Console


@dataclass(frozen=True)
class Template:
    path: Path
    tokens: dict[str, str]


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """Migrated, with the users and their tokens: built once (password hashing is slow)."""
    path = tmp_path_factory.mktemp("console-template") / "console.db"
    made = make_engine(f"sqlite:///{path}")
    migrate(made)
    tokens: dict[str, str] = {}
    now = datetime.now(UTC)
    with sessions(made).begin() as session:
        for name, role, tenants in USERS:
            user = add_user(session, name, role, tenants, PASSWORD, now=now)
            tokens[name] = add_token(session, user, "tests", now=now)
    with made.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    made.dispose()
    return Template(path, tokens)


@pytest.fixture
def engine(tmp_path: Path, template_db: Template) -> Iterator[Engine]:
    copy = tmp_path / "console.db"
    shutil.copyfile(template_db.path, copy)
    made = make_engine(f"sqlite:///{copy}")
    yield made
    made.dispose()


@pytest.fixture
def console(engine: Engine, template_db: Template) -> Console:
    settings = ConsoleSettings(
        database_url="sqlite://",  # unused: the engine above is passed in
        secure_cookies=False,
        human_decisions_topic="decisions-under-test",
    )
    state = ConsoleState(settings=settings, engine=engine, policies=PolicyBook.load(None))
    state.ingest_running = True
    return Console(state, dict(template_db.tokens))


@pytest.fixture
async def client(console: Console) -> AsyncIterator[TestClient[object, object]]:
    async with TestClient(TestServer(build_app(console.state))) as made:
        yield made
