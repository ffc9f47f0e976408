"""Per tenant: appeals received, rejected, decided, median time to decision, reversal rate.
Pure: it summarises the appeal outcomes read from ``moderation.appeal-outcomes.v1``.

An appeal counts once however often its answers were re-sent (dedupe on appeal_id). Time to
decision runs from the appellant's ``submitted_at`` to the reviewer's decision; the reversal
rate is overturned / decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median

from moderation_contracts import AppealOutcome, AppealStatus

_DECIDED = (AppealStatus.UPHELD, AppealStatus.OVERTURNED)


@dataclass(frozen=True)
class TenantAppeals:
    tenant_id: str
    received: int
    rejected: int
    decided: int
    overturned: int
    median_hours_to_decision: float | None

    @property
    def open(self) -> int:
        return self.received - self.rejected - self.decided

    @property
    def reversal_rate(self) -> float | None:
        return self.overturned / self.decided if self.decided else None


def summarise(outcomes: Iterable[AppealOutcome]) -> list[TenantAppeals]:
    """One row per tenant, sorted by tenant id."""
    last: dict[tuple[str, str], AppealOutcome] = {}
    for outcome in outcomes:
        key = (outcome.tenant_id, outcome.appeal_id)
        known = last.get(key)
        if known is None or _rank(outcome) >= _rank(known):
            last[key] = outcome
    rows = []
    for tenant in sorted({tenant for tenant, _ in last}):
        mine = [o for (t, _), o in last.items() if t == tenant]
        decided = [o for o in mine if o.status in _DECIDED]
        hours = [(o.decided_at - o.submitted_at).total_seconds() / 3600 for o in decided]
        rows.append(
            TenantAppeals(
                tenant_id=tenant,
                received=len(mine),
                rejected=sum(1 for o in mine if o.status is AppealStatus.REJECTED),
                decided=len(decided),
                overturned=sum(1 for o in decided if o.status is AppealStatus.OVERTURNED),
                median_hours_to_decision=median(hours) if hours else None,
            )
        )
    return rows


def _rank(outcome: AppealOutcome) -> int:
    """Later answers win: received < rejected/upheld/overturned."""
    return 0 if outcome.status is AppealStatus.RECEIVED else 1


def table(rows: list[TenantAppeals]) -> str:
    header = (
        f"{'tenant':<24} {'received':>8} {'rejected':>8} {'open':>6} {'decided':>8} "
        f"{'median h':>9} {'reversal':>9}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        hours = (
            "-" if row.median_hours_to_decision is None else f"{row.median_hours_to_decision:.1f}"
        )
        rate = "-" if row.reversal_rate is None else f"{row.reversal_rate:.1%}"
        lines.append(
            f"{row.tenant_id:<24} {row.received:>8} {row.rejected:>8} {row.open:>6} "
            f"{row.decided:>8} {hours:>9} {rate:>9}"
        )
    if not rows:
        lines.append("(no appeals)")
    return "\n".join(lines)
