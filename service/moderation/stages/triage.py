"""Stage 1, triage: every request meets the cheap model first (Haiku by default)."""

from __future__ import annotations

from moderation.llm.judge import Judgement
from moderation.policy import Policy
from moderation.routing import Route, route_triage
from moderation.stages.admission import ModelStage, admit
from moderation.stages.deadletters import invalid_input
from moderation.stages.outputs import (
    add_costs,
    current_trace_id,
    decision,
    human_task,
    models_used,
    output,
)
from moderation.streaming.records import Inbound, Outbound, Outcome
from moderation_contracts import (
    ContractError,
    CostBreakdown,
    DecisionStatus,
    ModerationRequest,
    ReviewRequest,
    parse_payload,
)

STAGE = "triage"


class TriageStage(ModelStage):
    async def handle(self, inbound: Inbound) -> Outcome:
        try:
            request = parse_payload(ModerationRequest, inbound.value or b"")
        except ContractError as error:
            return invalid_input(
                inbound, self.topics, STAGE, error, reject=True, policies=self.policies
            )
        admitted = admit(inbound, request, self.policies, self.seen, self.topics, STAGE)
        if isinstance(admitted, Outcome):
            return admitted
        judgement = await self.classifier.classify(admitted.ask())
        return admitted.outcome(self.route(request, admitted.policy, judgement), self.seen)

    def route(
        self, request: ModerationRequest, policy: Policy, judgement: Judgement
    ) -> tuple[Outbound, ...]:
        routing = route_triage(judgement, policy)
        now = self.clock()
        cost = add_costs(CostBreakdown(), judgement.costs)
        verdict = judgement.verdict
        models = models_used(cost, verdict)
        key = request.content_id

        def announce(status: DecisionStatus, final: bool) -> Outbound:
            made = decision(
                request,
                status,
                routing,
                verdict=verdict,
                cost=cost,
                models=models,
                now=now,
                final=final,
                policy_id=policy.policy_id,
                policy_version=policy.version,
                config_id=judgement.config_id,
            )
            return output(self.topics.decisions, made, key, routing.label, status)

        if routing.route is Route.ALLOW:
            return (announce(DecisionStatus.ALLOWED, final=True),)
        if routing.route is Route.REVIEW:
            review = ReviewRequest(
                request=request,
                triage=verdict,
                reason=routing.reason[:500],
                cost=cost,
                trace_id=current_trace_id(),
                created_at=now,
            )
            return (
                output(self.topics.review, review, key, routing.label),
                announce(DecisionStatus.PENDING_REVIEW, final=False),
            )
        task = human_task(
            request,
            routing,
            policy,
            triage=verdict,
            review=None,
            reason=routing.reason,
            cost=cost,
            now=now,
        )
        return (
            output(self.topics.human_review, task, key, routing.label),
            announce(DecisionStatus.PENDING_REVIEW, final=False),
        )
