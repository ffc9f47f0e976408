"""What a stage needs of a classifier, so caching and batching can wrap the real one."""

from __future__ import annotations

from typing import Protocol

from moderation.llm.classify import Judgement, TierConfig
from moderation.llm.gateway import CallContext, LlmRequest
from moderation.policy import Policy
from moderation_contracts import ModerationRequest, Verdict


class Judge(Protocol):
    """Anything that turns an item into a :class:`Judgement` the way ``Classifier`` does."""

    @property
    def config(self) -> TierConfig: ...

    def build_request(
        self, request: ModerationRequest, policy: Policy, triage: Verdict | None, reason: str
    ) -> LlmRequest: ...

    async def classify(
        self,
        request: ModerationRequest,
        policy: Policy,
        context: CallContext,
        *,
        triage: Verdict | None = None,
        reason: str = "",
    ) -> Judgement: ...
