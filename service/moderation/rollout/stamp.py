"""Record which configuration judged: the config id on the judgement and its verdict."""

from __future__ import annotations

from dataclasses import replace

from moderation.llm.gateway import LlmRequest
from moderation.llm.judge import Judge, Judgement, JudgeRequest, TierConfig
from moderation.rollout.metrics import RolloutMetrics


def stamped(judgement: Judgement, config_id: str) -> Judgement:
    """``judgement`` with ``config_id`` where it has none yet (a cached verdict keeps its own)."""
    verdict = judgement.verdict
    if verdict is not None and verdict.config_id is None:
        verdict = verdict.model_copy(update={"config_id": config_id})
    return replace(judgement, config_id=judgement.config_id or config_id, verdict=verdict)


class StampedJudge:
    """A :class:`Judge` whose judgements carry ``config_id``, counted by config id."""

    def __init__(
        self, inner: Judge, config_id: str, metrics: RolloutMetrics | None = None, stage: str = ""
    ) -> None:
        self._inner = inner
        self.config_id = config_id
        self._metrics = metrics
        self._stage = stage

    @property
    def config(self) -> TierConfig:
        return self._inner.config

    def build_request(self, ask: JudgeRequest) -> LlmRequest:
        return self._inner.build_request(ask)

    async def classify(self, ask: JudgeRequest) -> Judgement:
        judgement = await self._inner.classify(ask)
        judgement = stamped(judgement, self.config_id)
        if self._metrics is not None:
            self._metrics.judged(self._stage, judgement.config_id, judgement)
        return judgement
