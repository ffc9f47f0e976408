"""What the stages write: decisions, human-review tasks and the records that carry them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from opentelemetry import trace

from moderation.policy import Policy
from moderation.routing import Routing
from moderation.streaming.records import Outbound
from moderation_contracts import (
    ContentKind,
    CostBreakdown,
    Decision,
    DecisionStatus,
    HumanReviewTask,
    ModerationRequest,
    Payload,
    Tier,
    TierCost,
    Verdict,
    dump_payload,
)

Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return datetime.now(UTC)


def current_trace_id() -> str | None:
    """The W3C trace id of the span being processed (32 hex digits), if any."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def output(topic: str, payload: Payload, key: str, route: str, status: str = "") -> Outbound:
    return Outbound(
        topic=topic, key=key.encode(), value=dump_payload(payload), route=route, status=status
    )


def add_costs(breakdown: CostBreakdown, costs: tuple[TierCost, ...]) -> CostBreakdown:
    for cost in costs:
        breakdown = breakdown.add(cost)
    return breakdown


def models_used(cost: CostBreakdown, *verdicts: Verdict | None) -> list[str]:
    """The models behind a decision in ladder order: each tier's called models (from its cost)
    or, when the tier's verdict was reused from the verdict cache, the model that made it."""
    reused = {v.tier: v.model for v in verdicts if v is not None and v.from_cache}
    models: list[str] = []
    for tier in (Tier.HAIKU, Tier.SONNET):
        called = [t.model for t in cost.tiers if t.tier is tier]
        models.extend(called or ([reused[tier]] if tier in reused else []))
    models.extend(t.model for t in cost.tiers if t.tier not in (Tier.HAIKU, Tier.SONNET))
    return list(dict.fromkeys(models))


def task_id_for(tenant_id: str, content_id: str, generation: int = 0) -> str:
    """Stable per item, so a re-sent task carries the same id and reviewers' tools dedupe it."""
    digest = hashlib.sha256(f"{tenant_id}\x1f{content_id}".encode()).hexdigest()[:24]
    return f"task-{digest}" + (f"-e{generation}" if generation else "")


def decision_id_for(*parts: str) -> str:
    """Stable per decision (the statement of reasons' puid): a re-processed event that makes
    the same decision again gives it the same id, so consumers and the DSA database dedupe."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"d-{digest}"


def content_kinds(request: ModerationRequest) -> list[ContentKind]:
    kinds = [ContentKind.TEXT] if request.text else []
    return kinds + ([ContentKind.IMAGE] if request.attachments else [])


def review_deadline(now: datetime, hours: float) -> datetime:
    return now + timedelta(hours=hours)


def decision(
    request: ModerationRequest,
    status: DecisionStatus,
    routing: Routing,
    *,
    verdict: Verdict | None,
    cost: CostBreakdown,
    models: list[str],
    now: datetime,
    final: bool,
    policy_id: str | None,
    policy_version: str | None,
    overturned: bool = False,
    config_id: str = "",
    cached: tuple[Verdict | None, ...] = (),
) -> Decision:
    """The decision; ``cached`` lists the other verdicts behind it (``from_cache`` if any was
    reused). ``models`` comes from :func:`models_used`."""
    reused = [v for v in (verdict, *cached) if v is not None and v.from_cache]
    behind = {v.tier: v for v in (*cached, verdict) if v is not None}
    return Decision(
        content_id=request.content_id,
        tenant_id=request.tenant_id,
        status=status,
        decided_by=routing.decided_by,
        final=final,
        categories=verdict.categories if verdict else [],
        rationale=verdict.rationale if verdict else "",
        policy_id=policy_id,
        policy_version=policy_version,
        models=list(dict.fromkeys(models)),
        from_cache=bool(reused),
        cost=cost,
        config_id=config_id or (verdict.config_id if verdict else None) or None,
        trace_id=current_trace_id(),
        submitted_at=request.submitted_at,
        decided_at=now,
        overturned=overturned,
        reason=routing.reason[:500],
        decision_id=decision_id_for(
            request.tenant_id, request.content_id, str(routing.decided_by), str(status)
        ),
        content_kinds=content_kinds(request),
        verdicts=[behind[t] for t in (Tier.HAIKU, Tier.SONNET) if t in behind],
    )


def human_task(
    request: ModerationRequest,
    routing: Routing,
    policy: Policy,
    *,
    triage: Verdict | None,
    review: Verdict | None,
    reason: str,
    cost: CostBreakdown,
    now: datetime,
) -> HumanReviewTask:
    """A task for reviewers; its id is stable per item so re-sends dedupe in their tools."""
    assert routing.escalation is not None, "only escalations make human tasks"
    return HumanReviewTask(
        task_id=task_id_for(request.tenant_id, request.content_id),
        request=request,
        triage=triage,
        review=review,
        escalation_reason=routing.escalation,
        reason=reason[:500],
        priority=routing.priority,
        review_deadline=review_deadline(now, policy.review_deadline(routing.priority)),
        policy_id=policy.policy_id,
        policy_version=policy.version,
        cost=cost,
        trace_id=current_trace_id(),
        created_at=now,
    )
