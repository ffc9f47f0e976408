"""Canary rollouts: a deterministic share of tenants or items is judged by a candidate for real.

The share hashes the tenant id (default) or the content id, so an item lands on the same side
in triage and in review, on every worker and after every restart. Raising the share only adds
tenants or items; ``share_percent`` 0 rolls back and 100 promotes, with one setting.
A candidate with its own policy file needs ``unit: tenant``: the stages look a tenant's policy
up before they judge, and :class:`CanaryPolicyBook` answers with the candidate's for tenants
in the share.
"""

from __future__ import annotations

from dataclasses import dataclass

from moderation.levers import CanarySettings, CanaryUnit
from moderation.llm.gateway import LlmRequest
from moderation.llm.judge import Judge, Judgement, JudgeRequest, TierConfig
from moderation.policy import Policy, PolicyBook, PolicyLookup
from moderation.rollout.sampling import in_share
from moderation_contracts import ModerationRequest


def goes_to_candidate(request: ModerationRequest, settings: CanarySettings) -> bool:
    key = request.tenant_id if settings.unit is CanaryUnit.TENANT else request.content_id
    return in_share(key, settings.share_percent, settings.salt)


class CanaryJudge:
    """Judges each item with the baseline or, for items in the share, the candidate."""

    def __init__(self, baseline: Judge, candidate: Judge, settings: CanarySettings) -> None:
        self._baseline = baseline
        self._candidate = candidate
        self._settings = settings

    def pick(self, request: ModerationRequest) -> Judge:
        return self._candidate if goes_to_candidate(request, self._settings) else self._baseline

    @property
    def config(self) -> TierConfig:
        return self._baseline.config

    def build_request(self, ask: JudgeRequest) -> LlmRequest:
        return self.pick(ask.item).build_request(ask)

    async def classify(self, ask: JudgeRequest) -> Judgement:
        return await self.pick(ask.item).classify(ask)


@dataclass(frozen=True)
class CanaryPolicyBook:
    """The production policies, except that tenants in the canary share get the candidate's.

    It wraps the production lookup instead of copying it, so a reloaded policy file
    (:class:`~moderation.policy.LivePolicies`) still reaches the tenants outside the share."""

    production: PolicyLookup
    candidate: PolicyBook
    share_percent: float
    salt: str

    @classmethod
    def of(
        cls, production: PolicyLookup, candidate: PolicyBook, settings: CanarySettings
    ) -> CanaryPolicyBook:
        return cls(production, candidate, settings.share_percent, settings.salt)

    @property
    def default(self) -> Policy:
        return self.production.default

    def for_tenant(self, tenant_id: str) -> Policy:
        if in_share(tenant_id, self.share_percent, self.salt):
            return self.candidate.for_tenant(tenant_id)
        return self.production.for_tenant(tenant_id)
