"""Stage 2, review: a stronger model (Sonnet by default) re-judges what triage flagged."""

from __future__ import annotations

from dataclasses import dataclass

from moderation.cache.judge import Judge
from moderation.llm.classify import Judgement
from moderation.llm.gateway import CallContext
from moderation.policy import Policy, PolicyBook, UnknownTenant
from moderation.routing import Route, route_review
from moderation.settings import TopicNames
from moderation.stages.common import (
    Clock,
    RecentlySeen,
    add_costs,
    current_trace_id,
    dead_letter,
    decision,
    invalid_input,
    output,
    request_hash,
    review_deadline,
    task_id_for,
    utc_clock,
)
from moderation.streaming.records import Inbound, Outbound, Outcome
from moderation_contracts import (
    ContractError,
    DecisionStatus,
    HumanReviewTask,
    ReviewRequest,
    parse_payload,
)

STAGE = "review"


@dataclass
class ReviewStage:
    classifier: Judge  # a Classifier, or one behind the verdict cache or batch mode
    policies: PolicyBook
    topics: TopicNames
    clock: Clock = utc_clock
    seen: RecentlySeen | None = None

    def __post_init__(self) -> None:
        if self.seen is None:
            self.seen = RecentlySeen()

    async def handle(self, inbound: Inbound) -> Outcome:
        try:
            review = parse_payload(ReviewRequest, inbound.value or b"")
        except ContractError as error:
            return invalid_input(inbound, self.topics, STAGE, error)
        request = review.request
        try:
            policy = self.policies.for_tenant(request.tenant_id)
        except UnknownTenant as error:
            letter = dead_letter(inbound, self.topics, STAGE, "unknown_tenant", str(error))
            return Outcome((letter,), letter.route, request.content_id, request.tenant_id)
        fingerprint = request_hash(request)
        assert self.seen is not None
        dedupe_key = (request.tenant_id, request.content_id, fingerprint, policy.version)
        if dedupe_key in self.seen:
            return Outcome((), "duplicate", request.content_id, request.tenant_id, fingerprint)
        context = CallContext(
            stage=STAGE,
            tenant_id=request.tenant_id,
            content_id=request.content_id,
            content_hash=fingerprint,
        )
        judgement = await self.classifier.classify(
            request, policy, context, triage=review.triage, reason=review.reason
        )
        outputs = self.route(review, policy, judgement)
        self.seen.add(dedupe_key)
        return Outcome(
            outputs, outputs[0].route, request.content_id, request.tenant_id, fingerprint
        )

    def route(
        self, review: ReviewRequest, policy: Policy, judgement: Judgement
    ) -> tuple[Outbound, ...]:
        request = review.request
        routing = route_review(judgement, policy)
        now = self.clock()
        cost = add_costs(review.cost, judgement.costs)
        verdict = judgement.verdict
        models = [t.model for t in cost.tiers]
        key = request.content_id
        if routing.route in (Route.ALLOW, Route.REMOVE):
            status = (
                DecisionStatus.ALLOWED if routing.route is Route.ALLOW else DecisionStatus.REMOVED
            )
            overturned = (
                routing.route is Route.ALLOW
                and verdict is not None
                and review.triage is not None
                and review.triage.flagged
            )
            made = decision(
                request,
                status,
                routing,
                verdict=verdict or review.triage,
                cost=cost,
                models=models,
                now=now,
                final=True,
                policy_id=policy.policy_id,
                policy_version=policy.version,
                overturned=overturned,
            )
            return (output(self.topics.decisions, made, key, routing.label, status),)
        assert routing.escalation is not None
        task = HumanReviewTask(
            task_id=task_id_for(request.tenant_id, request.content_id),
            request=request,
            triage=review.triage,
            review=verdict,
            escalation_reason=routing.escalation,
            reason=f"{review.reason}; {routing.reason}"[:500],
            priority=routing.priority,
            review_deadline=review_deadline(now, policy.review_deadline(routing.priority)),
            cost=cost,
            trace_id=current_trace_id(),
            created_at=now,
        )
        return (output(self.topics.human_review, task, key, routing.label),)
