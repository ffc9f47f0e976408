"""What the web handlers share: settings, database, templates and the outbox's wake-up call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from jinja2 import Environment
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from moderation.console.db import is_postgres, sessions
from moderation.console.ingest import IngestStats
from moderation.console.render import environment
from moderation.console.settings import ConsoleSettings
from moderation.policy.book import PolicyBook

T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ConsoleState:
    settings: ConsoleSettings
    engine: Engine
    policies: PolicyBook
    clock: Callable[[], datetime] = utc_now
    outbox_wake: asyncio.Event = field(default_factory=asyncio.Event)
    ingest: IngestStats = field(default_factory=IngestStats)
    templates: Environment = field(default_factory=environment)
    ingest_running: bool = False

    def __post_init__(self) -> None:
        self.factory: sessionmaker[Session] = sessions(self.engine)
        self.skip_locked = is_postgres(self.engine)

    async def read(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a thread with a session (no commit)."""

        def run() -> T:
            with self.factory() as session:
                return work(session)

        return await asyncio.to_thread(run)

    async def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a thread inside one transaction (commits, or rolls back on error)."""

        def run() -> T:
            with self.factory.begin() as session:
                return work(session)

        return await asyncio.to_thread(run)

    def categories_for(self, tenant_id: str) -> list[str]:
        return list(self.policies.for_tenant(tenant_id).categories)
