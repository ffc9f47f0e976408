"""What every stage needs: encoding outputs, dead letters, decisions, duplicate suppression."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from opentelemetry import trace

from moderation.cache.judge import Judge
from moderation.llm.gateway import CallContext
from moderation.policy import Policy, PolicyLookup, UnknownTenant
from moderation.routing import Routing
from moderation.settings import TopicNames
from moderation.streaming.records import Inbound, Outbound, Outcome
from moderation.telemetry import content_hash
from moderation_contracts import (
    ContentKind,
    ContractError,
    CostBreakdown,
    DeadLetter,
    Decision,
    DecisionStatus,
    Header,
    HumanReviewTask,
    ModerationRequest,
    Payload,
    Tier,
    TierCost,
    Verdict,
    dump_payload,
)
from moderation_contracts.limits import MAX_HEADER_KEY_CHARS, MAX_HEADERS

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


def request_hash(request: ModerationRequest) -> str:
    """Hash of what the models see (text and attachments), for spans, dedupe and caching."""
    parts = [request.text or ""]
    parts.extend(a.url or a.data or "" for a in request.attachments)
    return content_hash("\x1f".join(parts))


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


def _loose_ids(raw: bytes | None) -> tuple[str | None, str | None]:
    """Best-effort content_id/tenant_id from an invalid payload, for the dead letter only."""
    try:
        data = json.loads(raw or b"")
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    found: list[str | None] = []
    for name in ("content_id", "tenant_id"):
        value = data.get(name)
        ok = isinstance(value, str) and 0 < len(value) <= 128 and value.isprintable()
        found.append(value if ok else None)
    return found[0], found[1]


def dead_letter(
    inbound: Inbound,
    topics: TopicNames,
    stage: str,
    code: str,
    message: str,
    *,
    schema: str | None = None,
    now: datetime | None = None,
) -> Outbound:
    """The original bytes, the error and where it came from: enough to fix and replay."""
    content_id, tenant_id = _loose_ids(inbound.value)
    letter = DeadLetter(
        original_value_b64=base64.b64encode(inbound.value or b"").decode("ascii"),
        original_key_b64=base64.b64encode(inbound.key).decode("ascii") if inbound.key else None,
        error_code=code[:64],
        error_message=message[:2000],
        error_schema=schema,
        source_topic=inbound.topic,
        source_partition=inbound.partition,
        source_offset=inbound.offset,
        stage=stage,
        content_id=content_id if _valid_id(content_id) else None,
        tenant_id=tenant_id if _valid_id(tenant_id) else None,
        # Any client may send many or long headers: keep what the contract holds, never fail here.
        headers=[
            Header(key=k[:MAX_HEADER_KEY_CHARS], value_b64=base64.b64encode(v).decode())
            for k, v in inbound.headers[:MAX_HEADERS]
        ],
        failed_at=now or utc_clock(),
    )
    key = inbound.key or content_id or f"{inbound.topic}-{inbound.offset}".encode()
    return Outbound(
        topic=topics.deadletter,
        key=key if isinstance(key, bytes) else key.encode(),
        value=dump_payload(letter),
        route=f"deadletter:{code}",
    )


def _valid_id(value: str | None) -> bool:
    return (
        value is not None and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", value) is not None
    )


def invalid_input(
    inbound: Inbound,
    topics: TopicNames,
    stage: str,
    error: ContractError,
    *,
    reject: bool = False,
    policies: PolicyLookup | None = None,
) -> Outcome:
    """A dead letter with the original bytes; with ``reject`` also a final ``rejected`` decision
    when content_id and tenant_id can be read, so upstream learns what to fix. The decision
    names the tenant's effective policy (the default one for a tenant the book does not know)."""
    content_id, tenant_id = _loose_ids(inbound.value)
    content_id = content_id if _valid_id(content_id) else None
    tenant_id = tenant_id if _valid_id(tenant_id) else None
    letter = dead_letter(inbound, topics, stage, error.code, str(error), schema=error.schema)
    outputs = [letter]
    if reject and content_id and tenant_id:
        policy = _effective_policy(policies, tenant_id) if policies is not None else None
        rejected = Decision(
            content_id=content_id,
            tenant_id=tenant_id,
            status=DecisionStatus.REJECTED,
            decided_by=Tier.FALLBACK,
            final=True,
            policy_id=policy.policy_id if policy else None,
            policy_version=policy.version if policy else None,
            trace_id=current_trace_id(),
            decided_at=utc_clock(),
            reason=str(error)[:500],
        )
        outputs.append(
            output(topics.decisions, rejected, content_id, letter.route, DecisionStatus.REJECTED)
        )
    return Outcome(tuple(outputs), letter.route, content_id, tenant_id)


def _effective_policy(policies: PolicyLookup, tenant_id: str) -> Policy:
    try:
        return policies.for_tenant(tenant_id)
    except UnknownTenant:
        return policies.default


def failure_handler(topics: TopicNames, stage: str) -> Callable[[Inbound, BaseException], Outcome]:
    """What the runner does when a handler raises: a dead letter naming the error type."""

    def on_failure(inbound: Inbound, error: BaseException) -> Outcome:
        code = "deadline_exceeded" if isinstance(error, TimeoutError) else "internal_error"
        message = f"{stage} stage failed: {type(error).__name__}"
        return Outcome(
            outputs=(dead_letter(inbound, topics, stage, code, message),),
            route=f"deadletter:{code}",
        )

    return on_failure


@dataclass
class ModelStage:
    """What the two model stages share: a judge, the policies, the topics, a clock, a memory."""

    classifier: Judge  # a Classifier, or one behind the verdict cache or batch mode
    policies: PolicyLookup
    topics: TopicNames
    clock: Clock = utc_clock
    seen: RecentlySeen = field(default_factory=lambda: RecentlySeen())


@dataclass(frozen=True)
class Admitted:
    """An item a model stage will judge: its tenant's policy and its labels."""

    request: ModerationRequest
    policy: Policy
    context: CallContext
    dedupe_key: Hashable

    def outcome(self, outputs: tuple[Outbound, ...], seen: RecentlySeen) -> Outcome:
        """The item's outcome; from now on a re-delivery of it is a duplicate."""
        seen.add(self.dedupe_key)
        request = self.request
        return Outcome(
            outputs,
            outputs[0].route,
            request.content_id,
            request.tenant_id,
            self.context.content_hash,
        )


def admit(
    inbound: Inbound,
    request: ModerationRequest,
    policies: PolicyLookup,
    seen: RecentlySeen,
    topics: TopicNames,
    stage: str,
) -> Admitted | Outcome:
    """Resolve the tenant's policy and drop duplicates; an Outcome means: nothing to judge."""
    try:
        policy = policies.for_tenant(request.tenant_id)
    except UnknownTenant as error:
        letter = dead_letter(inbound, topics, stage, "unknown_tenant", str(error))
        return Outcome((letter,), letter.route, request.content_id, request.tenant_id)
    fingerprint = request_hash(request)
    dedupe_key = (request.tenant_id, request.content_id, fingerprint, policy.version)
    if dedupe_key in seen:
        return Outcome((), "duplicate", request.content_id, request.tenant_id, fingerprint)
    context = CallContext(
        stage=stage,
        tenant_id=request.tenant_id,
        content_id=request.content_id,
        content_hash=fingerprint,
    )
    return Admitted(request, policy, context, dedupe_key)


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


class RecentlySeen:
    """A bounded memory of (content_id, fingerprint) pairs a stage has already handled.

    Redelivery after a rebalance or an upstream resend within the window is answered with no
    new output. It is per process and forgets on restart: downstream consumers still dedupe on
    (content_id, stage), as the contract says.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self._seen: OrderedDict[Hashable, None] = OrderedDict()
        self._capacity = capacity

    def __contains__(self, key: Hashable) -> bool:
        return key in self._seen

    def add(self, key: Hashable) -> None:
        self._seen[key] = None
        self._seen.move_to_end(key)
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
