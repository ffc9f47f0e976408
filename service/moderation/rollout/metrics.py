"""Instruments of shadow mode and canary rollouts (exported with the service's other metrics).

``moderation.rollout.judgements`` and ``moderation.rollout.cost.usd`` split every judgement by
the config id that made it; the ``moderation.shadow.*`` family counts comparisons (by
agreement), category flips (by direction), both sides' cost, and skipped shadow calls (by why).
"""

from __future__ import annotations

from opentelemetry.metrics import Meter

from moderation.llm.judge import Judgement
from moderation.telemetry.metrics import RunningTotals
from moderation_contracts import ShadowComparison

_JUDGEMENT_LABELS = ("moderation.stage", "moderation.config_id", "moderation.outcome")


class RolloutMetrics:
    def __init__(self, meter: Meter) -> None:
        # One judgement per LLM-judged item: kept as running totals (see RunningTotals).
        self._judgements = RunningTotals(_JUDGEMENT_LABELS)
        meter.create_observable_counter(
            "moderation.rollout.judgements",
            callbacks=[self._judgements.observe],
            unit="{judgement}",
            description="Model judgements by stage, config id and outcome.",
        )
        self._cost = RunningTotals(_JUDGEMENT_LABELS[:2])
        meter.create_observable_counter(
            "moderation.rollout.cost.usd",
            callbacks=[self._cost.observe],
            unit="{USD}",
            description="LLM cost by config id.",
        )
        self._comparisons = meter.create_counter(
            "moderation.shadow.comparisons",
            unit="{comparison}",
            description="Shadow comparisons by stage, candidate and agreement.",
        )
        self._flips = meter.create_counter(
            "moderation.shadow.flips",
            unit="{flip}",
            description="Categories one side flagged and the other did not.",
        )
        self._shadow_cost = meter.create_counter(
            "moderation.shadow.cost.usd",
            unit="{USD}",
            description="Cost of shadowed items by side (production, candidate).",
        )
        self._skipped = meter.create_counter(
            "moderation.shadow.skipped",
            unit="{item}",
            description="Sampled items not shadowed, by reason (budget, circuit_open, error).",
        )

    def judged(self, stage: str, config_id: str, judgement: Judgement) -> None:
        self._judgements.add((stage, config_id, judgement.kind.value), 1)
        spent = sum(cost.cost_usd for cost in judgement.costs)
        if spent:
            self._cost.add((stage, config_id), spent)

    def compared(self, comparison: ShadowComparison) -> None:
        stage = comparison.stage.value
        candidate = comparison.candidate.config_id
        self._comparisons.add(
            1,
            {
                "moderation.stage": stage,
                "moderation.config_id": candidate,
                "moderation.agree": str(comparison.agree).lower(),
            },
        )
        flagged_by_candidate = set(comparison.candidate.flagged_categories)
        for category in comparison.flips:
            flags = category in flagged_by_candidate
            direction = "candidate_flags" if flags else "candidate_clears"
            self._flips.add(
                1,
                {
                    "moderation.stage": stage,
                    "moderation.category": category,
                    "moderation.direction": direction,
                },
            )
        for side, cost in (
            ("production", comparison.production.cost_usd),
            ("candidate", comparison.candidate.cost_usd),
        ):
            if cost:
                self._shadow_cost.add(cost, {"moderation.stage": stage, "moderation.side": side})

    def skipped(self, stage: str, reason: str) -> None:
        self._skipped.add(1, {"moderation.stage": stage, "moderation.reason": reason})
