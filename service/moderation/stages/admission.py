"""Admission to a model stage: the tenant's policy is resolved and duplicates are dropped."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from moderation.llm.gateway import CallContext
from moderation.llm.judge import Judge, JudgeRequest
from moderation.policy import Policy, PolicyLookup, UnknownTenant
from moderation.settings import TopicNames
from moderation.stages.deadletters import dead_letter
from moderation.stages.dedupe import RecentlySeen, request_hash
from moderation.stages.outputs import Clock, utc_clock
from moderation.streaming.records import Inbound, Outbound, Outcome
from moderation_contracts import ModerationRequest, Verdict


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

    def ask(self, triage: Verdict | None = None, reason: str = "") -> JudgeRequest:
        """What the stage asks its judge about this item."""
        return JudgeRequest(self.request, self.policy, self.context, triage, reason)

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
