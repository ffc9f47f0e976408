"""The console's tables (SQLAlchemy 2 declarative models); Alembic migrations create them."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the console stores UTC-aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Role(StrEnum):
    REVIEWER = "reviewer"
    """Works the standard queue of the tenants assigned to them."""
    SENIOR = "senior"
    """Also works the senior queue (escalated tasks)."""
    ADMIN = "admin"
    """Everything, every tenant, plus stats and the audit export."""


class QueueName(StrEnum):
    STANDARD = "standard"
    SENIOR = "senior"
    APPEALS = "appeals"
    """Users' appeals of final decisions: seniors and admins, never the original reviewer."""


class TaskState(StrEnum):
    OPEN = "open"
    DECIDED = "decided"
    """Allowed or removed by a reviewer; final."""
    ESCALATED = "escalated"
    """Handed to the senior queue; the worker re-queues a new task for the same item."""


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    tenants: Mapped[str] = mapped_column(Text, default="")
    """Comma-separated tenant ids; ``*`` means every tenant."""
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked: Mapped[bool] = mapped_column(default=False)


class WebSession(Base):
    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[str] = mapped_column(String(128), unique=True)
    tenant_id: Mapped[str] = mapped_column(String(128))
    content_id: Mapped[str] = mapped_column(String(128))
    queue: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    priority_rank: Mapped[int] = mapped_column(Integer)
    review_deadline: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ingested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16))
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision: Mapped[str | None] = mapped_column(Text)
    """The HumanDecision JSON that was published (or is waiting in the outbox)."""
    payload: Mapped[str] = mapped_column(Text)
    """The HumanReviewTask JSON as read from the topic (an AppealTask in the appeals queue)."""
    excluded_reviewers: Mapped[str] = mapped_column(Text, default="", server_default="")
    """``,name,name,``: reviewers who may not claim the task (who made the decision appealed)."""

    __table_args__ = (
        Index(
            "ix_tasks_queue_order",
            "state",
            "queue",
            "priority_rank",
            "review_deadline",
            "created_at",
            "id",
        ),
        Index("ix_tasks_content", "tenant_id", "content_id"),
        Index("ix_tasks_decided_at", "decided_at"),
        # Partial: serves "my claim" lookups and lease expiry, never "unclaimed" scans (which
        # must walk the queue order instead).
        Index(
            "ix_tasks_claimed_by",
            "claimed_by",
            postgresql_where=text("claimed_by IS NOT NULL"),
            sqlite_where=text("claimed_by IS NOT NULL"),
        ),
    )


class Skip(Base):
    __tablename__ = "skips"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    task_pk: Mapped[int] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    skipped_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_pk: Mapped[int] = mapped_column(ForeignKey("tasks.id"), unique=True)
    """One message per task: a task can never produce two different decisions."""
    topic: Mapped[str] = mapped_column(String(249))
    key: Mapped[bytes] = mapped_column(LargeBinary)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_outbox_unsent", "sent_at", "id"),)


class AuditEvent(Base):
    """Append-only: database triggers refuse UPDATE and DELETE on this table."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[str | None] = mapped_column(String(128))
    tenant_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[str] = mapped_column(String(500), default="")

    __table_args__ = (Index("ix_audit_task", "task_id"),)
