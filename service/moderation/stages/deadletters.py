"""Dead letters: the original bytes, the error and where it came from, enough to fix and replay.

``invalid_input`` answers a payload that breaks its contract, ``failure_handler`` a handler that
raised; both never fail themselves (see the header caps).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import datetime

from moderation.policy import Policy, PolicyLookup, UnknownTenant
from moderation.settings import TopicNames
from moderation.stages.outputs import current_trace_id, output, utc_clock
from moderation.streaming.records import Inbound, Outbound, Outcome
from moderation_contracts import (
    ContractError,
    DeadLetter,
    Decision,
    DecisionStatus,
    Header,
    Tier,
    dump_payload,
)
from moderation_contracts.limits import MAX_HEADER_KEY_CHARS, MAX_HEADERS


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
