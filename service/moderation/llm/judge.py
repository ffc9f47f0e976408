"""The classifier seam: what a stage asks of a model tier and what it gets back.

Every stage depends on :class:`Judge`, not on a concrete classifier: the interactive
:class:`~moderation.llm.classify.Classifier` implements it, and so does each decorator around
it (the verdict cache, batch mode, the rollout's config stamp, canary split and shadow). A
decorator receives one :class:`JudgeRequest` and passes it on unchanged or answers it itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from moderation.policy import Policy
from moderation_contracts import ModerationRequest, Tier, TierCost, Verdict

if TYPE_CHECKING:  # the gateway imports this module's answers (no import cycle at run time)
    from moderation.llm.gateway import CallContext, LlmRequest


class JudgementKind(StrEnum):
    JUDGED = "judged"
    REFUSED = "refused"
    INVALID = "invalid"
    UNAVAILABLE = "unavailable"
    REJECTED = "rejected"
    """The API refused this item (e.g. an image it cannot fetch); escalate, never allow."""


@dataclass(frozen=True)
class Judgement:
    kind: JudgementKind
    costs: tuple[TierCost, ...]
    verdict: Verdict | None = None
    detail: str = ""
    model: str = ""
    config_id: str = ""  # the configuration that judged (canary rollouts); "" when unnamed


@dataclass(frozen=True)
class TierConfig:
    tier: Tier
    model: str
    max_tokens: int
    thinking_budget: int = 0
    config_id: str = ""


@dataclass(frozen=True)
class JudgeRequest:
    """One item to judge: the content, its tenant's policy, labels for spans and metrics, and
    for the review tier the triage verdict and the reason it was escalated."""

    item: ModerationRequest
    policy: Policy
    context: CallContext
    triage: Verdict | None = None
    reason: str = ""


class Judge(Protocol):
    """Anything that turns a :class:`JudgeRequest` into a :class:`Judgement`."""

    @property
    def config(self) -> TierConfig: ...

    def build_request(self, ask: JudgeRequest) -> LlmRequest:
        """The Messages call the tier would make for ``ask`` (batch mode sends the same body)."""
        ...

    async def classify(self, ask: JudgeRequest) -> Judgement: ...
