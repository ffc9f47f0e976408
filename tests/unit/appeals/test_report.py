"""``moderation report appeals``: the per-tenant figures from appeal outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moderation.appeals.report import summarise, table
from moderation_contracts import AppealOutcome, AppealRejection, AppealStatus

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def outcome(
    appeal_id: str, status: AppealStatus, hours: float = 0, tenant: str = "acme"
) -> AppealOutcome:
    return AppealOutcome(
        appeal_id=appeal_id,
        content_id=f"c-{appeal_id}",
        tenant_id=tenant,
        appellant_id="u-1",
        status=status,
        rejection=AppealRejection.LATE if status is AppealStatus.REJECTED else None,
        new_decision_id="d-new" if status is AppealStatus.OVERTURNED else None,
        submitted_at=T0,
        decided_at=T0 + timedelta(hours=hours),
    )


def test_figures_per_tenant_count_each_appeal_once() -> None:
    received, upheld, overturned = (
        AppealStatus.RECEIVED,
        AppealStatus.UPHELD,
        AppealStatus.OVERTURNED,
    )
    rows = summarise(
        [
            outcome("a1", received),
            outcome("a1", received),  # re-sent
            outcome("a1", overturned, hours=2),
            outcome("a2", received),
            outcome("a2", upheld, hours=10),
            outcome("a3", received),
            outcome("a4", upheld, hours=6),
            outcome("a5", AppealStatus.REJECTED),
            outcome("b1", received, tenant="globex"),
        ]
    )
    acme, globex = rows
    assert (acme.tenant_id, acme.received, acme.rejected, acme.open, acme.decided) == (
        "acme",
        5,
        1,
        1,
        3,
    )
    assert acme.median_hours_to_decision == 6.0
    assert acme.reversal_rate == 1 / 3
    assert (globex.received, globex.decided, globex.reversal_rate) == (1, 0, None)
    text = table(rows)
    assert "33.3%" in text
    assert "6.0" in text


def test_no_appeals_says_so() -> None:
    assert "(no appeals)" in table(summarise([]))
