"""The schema on both backends: migrations match the models, the audit log is append-only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, delete, exc, select, update

from moderation.console import audit
from moderation.console.db import migrate, sessions
from moderation.console.models import AuditEvent, Base

pytestmark = pytest.mark.integration


def test_migrations_build_exactly_the_models_schema(any_engine: Engine) -> None:
    migrate(any_engine)  # a second run changes nothing
    with any_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_the_audit_log_refuses_updates_and_deletes(any_engine: Engine) -> None:
    factory = sessions(any_engine)
    with factory.begin() as session:
        audit.record(session, at=datetime.now(UTC), actor="rita", action="claim", task_id="t1")
    for statement in (
        update(AuditEvent).values(actor="mallory"),
        delete(AuditEvent),
    ):
        with pytest.raises(exc.DBAPIError, match="append-only"), factory.begin() as session:
            session.execute(statement)
    with factory() as session:
        assert session.scalars(select(AuditEvent.actor)).all() == ["rita"]
