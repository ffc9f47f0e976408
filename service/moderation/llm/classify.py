"""Ask a model for a verdict, with the escalation ladder's first rung built in.

Output that does not validate is retried once; a refusal is reported as such; an unavailable
tier and an item the API rejected are reported with the cost already spent. What happens next
is the routing table's business. A configuration failure (credentials, billing, permissions) is
not an answer about the item: :class:`~moderation.errors.ConfigurationError` propagates, so the
item is neither decided nor committed.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from moderation.errors import ItemRejected, TierUnavailable
from moderation.llm.gateway import LlmRequest, ModelGateway
from moderation.llm.judge import Judgement, JudgementKind, JudgeRequest, TierConfig
from moderation.llm.replies import judgement_of
from moderation.policy import Policy
from moderation.prompts import (
    InvalidModelOutput,
    PromptTier,
    review_messages,
    system_blocks,
    triage_messages,
    verdict_tool,
)
from moderation_contracts import Tier, TierCost

_log = logging.getLogger(__name__)

TOOL_NAME = "record_verdict"
OUTPUT_ATTEMPTS = 2
_MAX_PREFIXES = 256  # the first answer and one retry when it does not validate


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def without_quotes(problem: str) -> str:
    """A validation message minus quoted values: model output may echo the content."""
    return _QUOTED.sub("'...'", problem)


class Classifier:
    """One tier's classifier: builds the prompt, calls the gateway, validates the answer."""

    def __init__(self, gateway: ModelGateway, config: TierConfig) -> None:
        self._gateway = gateway
        self.config = config
        # The stable prefix (system blocks, tool) per policy object: building it costs about as
        # much CPU as the rest of an item's handling. The entry keeps its policy alive, so the
        # id cannot be reused; a reloaded book brings new objects, so the memory is bounded.
        self._prefixes: dict[int, tuple[Policy, list[Any], list[Any]]] = {}

    def _prefix(self, policy: Policy) -> tuple[list[Any], list[Any]]:
        cached = self._prefixes.get(id(policy))
        if cached is None or cached[0] is not policy:
            if len(self._prefixes) >= _MAX_PREFIXES:  # policy reloads make new policy objects
                self._prefixes.clear()
            tier: PromptTier = "triage" if self.config.tier is Tier.HAIKU else "review"
            cached = (policy, list(system_blocks(policy, tier)), [verdict_tool(policy)])
            self._prefixes[id(policy)] = cached
        return cached[1], cached[2]

    def build_request(self, ask: JudgeRequest) -> LlmRequest:
        system, tools = self._prefix(ask.policy)
        if self.config.tier is Tier.HAIKU:
            messages = triage_messages(ask.item)
        else:
            messages = review_messages(ask.item, ask.triage, ask.reason)
        thinking = self.config.thinking_budget
        return LlmRequest(
            model=self.config.model,
            max_tokens=self.config.max_tokens,  # includes the thinking budget, as in the API
            system=system,
            messages=messages,
            tools=tools,
            # Extended thinking only allows tool_choice "auto": the prompt then asks for the tool,
            # and an answer without it counts as invalid output (retried once).
            tool_choice={"type": "auto"} if thinking else {"type": "tool", "name": TOOL_NAME},
            thinking_budget=thinking,
        )

    async def classify(self, ask: JudgeRequest) -> Judgement:
        call = self.build_request(ask)
        costs: list[TierCost] = []
        problem = ""
        for _attempt in range(OUTPUT_ATTEMPTS):
            try:
                reply = await self._gateway.create(call, ask.context)
            except TierUnavailable as error:
                return Judgement(
                    JudgementKind.UNAVAILABLE,
                    tuple(costs),
                    detail=str(error),
                    model=call.model,
                    config_id=self.config.config_id,
                )
            except ItemRejected as error:
                return Judgement(
                    JudgementKind.REJECTED, tuple(costs), detail=str(error), model=call.model
                )
            costs.append(reply.tier_cost(self.config.tier))
            try:
                return judgement_of(reply, self.config, ask.policy, tuple(costs))
            except InvalidModelOutput as error:
                problem = str(error)
                _log.warning(
                    "%s output failed validation for %s (%s)",
                    reply.model,
                    ask.context.content_id,
                    without_quotes(problem)[:200],
                )
        return Judgement(
            JudgementKind.INVALID,
            tuple(costs),
            detail=problem,
            model=call.model,
            config_id=self.config.config_id,
        )
