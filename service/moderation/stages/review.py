"""Stage 2, review: a stronger model (Sonnet by default) re-judges what triage flagged or could
not judge (refused, invalid output, rejected by the API); see the routing table."""

from __future__ import annotations

from moderation.llm.judge import Judgement
from moderation.policy import Policy
from moderation.routing import Route, route_review
from moderation.stages.admission import ModelStage, admit
from moderation.stages.deadletters import invalid_input
from moderation.stages.outputs import add_costs, decision, human_task, models_used, output
from moderation.streaming.records import Inbound, Outbound, Outcome
from moderation_contracts import (
    ContractError,
    DecisionStatus,
    ReviewRequest,
    parse_payload,
)

STAGE = "review"


class ReviewStage(ModelStage):
    async def handle(self, inbound: Inbound) -> Outcome:
        try:
            review = parse_payload(ReviewRequest, inbound.value or b"")
        except ContractError as error:
            return invalid_input(inbound, self.topics, STAGE, error)
        admitted = admit(inbound, review.request, self.policies, self.seen, self.topics, STAGE)
        if isinstance(admitted, Outcome):
            return admitted
        judgement = await self.classifier.classify(admitted.ask(review.triage, review.reason))
        return admitted.outcome(self.route(review, admitted.policy, judgement), self.seen)

    def route(
        self, review: ReviewRequest, policy: Policy, judgement: Judgement
    ) -> tuple[Outbound, ...]:
        request = review.request
        routing = route_review(judgement, policy)
        now = self.clock()
        cost = add_costs(review.cost, judgement.costs)
        verdict = judgement.verdict
        models = models_used(cost, review.triage, verdict)
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
                config_id=judgement.config_id,
                overturned=overturned,
                cached=(review.triage,),
            )
            return (output(self.topics.decisions, made, key, routing.label, status),)
        task = human_task(
            request,
            routing,
            policy,
            triage=review.triage,
            review=verdict,
            reason=f"{review.reason}; {routing.reason}",
            cost=cost,
            now=now,
        )
        return (output(self.topics.human_review, task, key, routing.label),)
