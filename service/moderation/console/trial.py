"""``moderation console demo``: open the console on the human-review tasks of ``make demo``.

The demo keeps every human-review task it saw in ``.run/demo-human-tasks.jsonl``. This imports
them into the embedded database (idempotent), gives the ``demo`` admin a fresh password, and
serves the console offline: no broker, so decisions stay in the outbox (the demo's own reviewer
bot has already answered these tasks on the demo's broker, which is gone).
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from moderation.console.accounts import add_user, set_password, user_named
from moderation.console.db import make_engine, migrate, sessions
from moderation.console.models import Role
from moderation.console.server import serve
from moderation.console.settings import ConsoleSettings
from moderation.console.tasks import store_tasks
from moderation_contracts import ContractError, HumanReviewTask, parse_payload

DEMO_USER = "demo"


def import_tasks(url: str, path: Path) -> tuple[int, int, int]:
    """(read, new, unreadable) after storing the file's tasks."""
    tasks: list[HumanReviewTask] = []
    unreadable = 0
    for line in path.read_bytes().splitlines():
        if not line.strip():
            continue
        try:
            tasks.append(parse_payload(HumanReviewTask, line))
        except ContractError:
            unreadable += 1
    engine = make_engine(url)
    migrate(engine)
    with sessions(engine).begin() as session:
        new = store_tasks(session, tasks, now=datetime.now(UTC))
    engine.dispose()
    return len(tasks), new, unreadable


def demo_password(url: str) -> str:
    """A fresh password for the ``demo`` admin (created on first use)."""
    password = secrets.token_urlsafe(12)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with sessions(engine).begin() as session:
        user = user_named(session, DEMO_USER)
        if user is None:
            add_user(session, DEMO_USER, Role.ADMIN, [], password, now=now)
        else:
            set_password(session, user, password, now=now)
    engine.dispose()
    return password


def run_trial(settings: ConsoleSettings, tasks_file: Path, out: TextIO) -> int:
    if not tasks_file.is_file():
        out.write(f"no {tasks_file}: run `make demo` first (it keeps the human-review tasks)\n")
        return 2
    read, new, unreadable = import_tasks(settings.url(), tasks_file)
    out.write(f"imported {new} new of {read} tasks from {tasks_file}")
    out.write(f" ({unreadable} unreadable lines)\n" if unreadable else "\n")
    password = demo_password(settings.url())
    out.write(
        f"open http://{settings.host}:{settings.port}/login and sign in as "
        f"{DEMO_USER} / {password}\n"
        "offline: no broker, so decisions stay in the outbox. Ctrl-C stops the console.\n"
    )
    out.flush()
    asyncio.run(serve(settings, offline=True))
    return 0
