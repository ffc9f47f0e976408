"""Alembic environment: runs the console's migrations on the connection ``db.migrate`` passes."""

from __future__ import annotations

from alembic import context

from moderation.console.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through moderation.console.db.migrate (no connection)")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
