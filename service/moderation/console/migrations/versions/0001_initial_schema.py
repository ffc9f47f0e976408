"""The console's first schema: users, tokens, sessions, tasks, skips, outbox, audit log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)

_PG_AUDIT_GUARD = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
"""

_SQLITE_AUDIT_GUARD = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("username", sa.String(128), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(256)),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("tenants", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
    )
    op.create_table(
        "api_tokens",
        _id(),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("last_used_at", _WHEN),
        sa.Column("revoked", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "sessions",
        _id(),
        sa.Column("session_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
    )
    op.create_table(
        "tasks",
        _id(),
        sa.Column("task_id", sa.String(128), nullable=False, unique=True),
        sa.Column("tenant_id", sa.String(128), nullable=False),
        sa.Column("content_id", sa.String(128), nullable=False),
        sa.Column("queue", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("priority_rank", sa.Integer(), nullable=False),
        sa.Column("review_deadline", _WHEN, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("ingested_at", _WHEN, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("claimed_at", _WHEN),
        sa.Column("lease_expires_at", _WHEN),
        sa.Column("decided_by", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("decided_at", _WHEN),
        sa.Column("decision", sa.Text()),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_tasks_queue_order",
        "tasks",
        ["state", "queue", "priority_rank", "review_deadline", "created_at", "id"],
    )
    op.create_index("ix_tasks_content", "tasks", ["tenant_id", "content_id"])
    op.create_index("ix_tasks_decided_at", "tasks", ["decided_at"])
    op.create_index(
        "ix_tasks_claimed_by",
        "tasks",
        ["claimed_by"],
        postgresql_where=sa.text("claimed_by IS NOT NULL"),
        sqlite_where=sa.text("claimed_by IS NOT NULL"),
    )
    op.create_table(
        "skips",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("task_pk", sa.Integer(), sa.ForeignKey("tasks.id"), primary_key=True),
        sa.Column("skipped_at", _WHEN, nullable=False),
    )
    op.create_table(
        "outbox",
        _id(),
        sa.Column("task_pk", sa.Integer(), sa.ForeignKey("tasks.id"), nullable=False, unique=True),
        sa.Column("topic", sa.String(249), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("sent_at", _WHEN),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(500)),
    )
    op.create_index("ix_outbox_unsent", "outbox", ["sent_at", "id"])
    op.create_table(
        "audit_events",
        _id(),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("task_id", sa.String(128)),
        sa.Column("tenant_id", sa.String(128)),
        sa.Column("detail", sa.String(500), nullable=False),
    )
    op.create_index("ix_audit_task", "audit_events", ["task_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_AUDIT_GUARD)
    else:
        for statement in _SQLITE_AUDIT_GUARD:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_no_update ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    for table in ("audit_events", "outbox", "skips", "tasks", "sessions", "api_tokens", "users"):
        op.drop_table(table)
