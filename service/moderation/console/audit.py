"""The append-only audit log: who claimed, released, skipped, decided or escalated what, when."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.console.models import AuditEvent

CSV_COLUMNS = ("id", "at", "actor", "action", "task_id", "tenant_id", "detail")


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    task_id: str | None = None,
    tenant_id: str | None = None,
    detail: str = "",
) -> None:
    """Add one event to the caller's transaction (it commits with the change it describes)."""
    session.add(
        AuditEvent(
            at=at,
            actor=actor,
            action=action,
            task_id=task_id,
            tenant_id=tenant_id,
            detail=detail[:500],
        )
    )


def events_for(session: Session, task_ids: list[str]) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.task_id.in_(task_ids)).order_by(AuditEvent.id)
    return list(session.scalars(query))


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in free-text cells."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(session: Session, tenants: frozenset[str] | None = None) -> Iterator[str]:
    """The log as CSV lines (header first), oldest first; ``tenants`` limits the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if tenants is not None:
        query = query.where(AuditEvent.tenant_id.in_(sorted(tenants)))
    for event in session.scalars(query.execution_options(yield_per=1000)):
        writer.writerow(
            [
                event.id,
                event.at.isoformat(),
                _cell(event.actor),
                event.action,
                event.task_id or "",
                event.tenant_id or "",
                _cell(event.detail),
            ]
        )
        yield flush()
