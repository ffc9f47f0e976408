"""Shared pieces of the console's web tests (imported by basename; conftest only has fixtures)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser

from aiohttp.test_utils import TestClient

from moderation.console.models import Role
from moderation.console.state import ConsoleState
from moderation.console.tasks import store_appeal_tasks, store_tasks
from moderation_contracts import AppealTask, HumanReviewTask

PASSWORD = "correct horse battery staple"

USERS = (
    ("rita", Role.REVIEWER, ["acme"]),
    ("rafa", Role.REVIEWER, ["acme"]),
    ("gus", Role.REVIEWER, ["globex"]),
    ("sena", Role.SENIOR, ["acme"]),
    ("ada", Role.ADMIN, []),
)

Client = TestClient[object, object]


@dataclass
class Console:
    state: ConsoleState
    tokens: dict[str, str]
    """username -> API token"""

    def add_tasks(self, *tasks: HumanReviewTask) -> None:
        with self.state.factory.begin() as session:
            store_tasks(session, list(tasks), now=datetime.now(UTC))

    def add_appeals(self, *tasks: AppealTask) -> None:
        with self.state.factory.begin() as session:
            store_appeal_tasks(session, list(tasks), now=datetime.now(UTC))

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def form_field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html) or re.search(
        rf'name="{name}" content="([^"]*)"', html
    )
    assert found, name
    return found.group(1)


async def sign_in(client: Client, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the page's CSRF token."""
    form = await client.get("/login")
    token = form_field(await form.text(), "login_token")
    answer = await client.post(
        "/login",
        data={"login_token": token, "username": username, "password": password},
        allow_redirects=False,
    )
    assert answer.status == 303, await answer.text()
    queue = await client.get("/queue")
    return form_field(await queue.text(), "csrf-token")


class Collector(HTMLParser):
    """Every start tag and attribute the browser would build from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
