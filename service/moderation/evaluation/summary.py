"""From answers and labels to the report's figures. Pure: no I/O.

Per category, an item counts as predicted positive when the policy flags that category on the
final verdict (the operating threshold: severity and confidence rules of the policy), and its
score for PR-AUC and the threshold sweep is the verdict's confidence for it (0 when absent).
Unknown labels are left out category by category.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from moderation.evaluation.answers import Answer
from moderation.evaluation.datasets import EvalItem
from moderation.evaluation.metrics import (
    Confusion,
    Interval,
    SweepPoint,
    average_precision,
    bootstrap,
    cohen_kappa,
    confusion,
    quantile,
    resamples,
    sweep,
)

THRESHOLDS: tuple[float, ...] = tuple(round(0.05 * step, 2) for step in range(1, 20))


@dataclass(frozen=True)
class CategoryFigures:
    category: str
    counts: Confusion
    unknown: int
    pr_auc: float | None


@dataclass(frozen=True)
class KindFigures:
    """One kind of item (benign, borderline, injection, a category...): how often flagged."""

    items: int
    flagged: int  # predicted flagged, whatever the labels say
    counts: Confusion  # items whose overall label is known

    @property
    def flagged_rate(self) -> float | None:
        return self.flagged / self.items if self.items else None


@dataclass(frozen=True)
class ConfigFigures:
    config_id: str
    models: list[str]
    items: int
    categories: list[CategoryFigures]
    overall: Confusion  # flagged vs not, items whose overall label is known
    micro: Confusion  # every labelled (item, category) pair
    micro_pr_auc: float | None
    to_review: float | None
    to_human: float | None
    refused: int
    invalid: int
    unavailable: int
    cost_per_1000_usd: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    sweep: list[SweepPoint]
    kinds: dict[str, KindFigures] = field(default_factory=dict)


def _pairs(
    items: Sequence[EvalItem], answers: Sequence[Answer], category: str
) -> list[tuple[bool | None, bool, float]]:
    return [
        (item.labels.get(category), category in answer.flagged, answer.scores.get(category, 0.0))
        for item, answer in zip(items, answers, strict=True)
    ]


def figures(
    config_id: str, items: Sequence[EvalItem], answers: Sequence[Answer], categories: Sequence[str]
) -> ConfigFigures:
    """The figures of one configuration; ``items`` and ``answers`` are aligned."""
    per_category = []
    all_pairs: list[tuple[bool | None, bool, float]] = []
    for category in categories:
        pairs = _pairs(items, answers, category)
        all_pairs += pairs
        per_category.append(
            CategoryFigures(
                category,
                confusion((truth, predicted) for truth, predicted, _ in pairs),
                sum(1 for truth, _, _ in pairs if truth is None),
                average_precision((score, truth) for truth, _, score in pairs),
            )
        )
    n = len(answers)
    latencies = [a.latency_ms for a in answers]
    kinds: dict[str, list[tuple[bool | None, bool]]] = {}
    for item, answer in zip(items, answers, strict=True):
        kinds.setdefault(item.kind or "unlabelled", []).append((item.flagged, answer.any_flagged))
    return ConfigFigures(
        config_id=config_id,
        models=list(dict.fromkeys(m for a in answers for m in a.models)),
        items=n,
        categories=per_category,
        overall=confusion(
            (item.flagged, answer.any_flagged) for item, answer in zip(items, answers, strict=True)
        ),
        micro=confusion((truth, predicted) for truth, predicted, _ in all_pairs),
        micro_pr_auc=average_precision((score, truth) for truth, _, score in all_pairs),
        to_review=sum(a.to_review for a in answers) / n if n else None,
        to_human=sum(a.to_human for a in answers) / n if n else None,
        refused=sum(a.refused for a in answers),
        invalid=sum(a.invalid for a in answers),
        unavailable=sum(a.unavailable for a in answers),
        cost_per_1000_usd=1000 * sum(a.cost_usd for a in answers) / n if n else None,
        latency_p50_ms=quantile(latencies, 0.5),
        latency_p95_ms=quantile(latencies, 0.95),
        sweep=sweep([(score, truth) for truth, _, score in all_pairs], THRESHOLDS),
        kinds={
            kind: KindFigures(len(pairs), sum(p for _, p in pairs), confusion(pairs))
            for kind, pairs in sorted(kinds.items())
        },
    )


@dataclass(frozen=True)
class Difference:
    """``second - first`` for one figure, with its bootstrap interval."""

    name: str
    first: float | None
    second: float | None
    delta: Interval


@dataclass(frozen=True)
class Comparison:
    first: str
    second: str
    items: int  # answered by both
    kappa: float | None  # flagged vs not
    category_kappa: dict[str, float | None]
    differences: list[Difference]


def compare(
    items: Sequence[EvalItem],
    first: Sequence[Answer],
    second: Sequence[Answer],
    categories: Sequence[str],
    *,
    rounds: int = 1000,
    seed: int = 0,
) -> Comparison:
    """Paired comparison of two configurations on the items both answered (aligned lists)."""
    n = len(items)
    samples = resamples(n, rounds, seed)

    def f1_delta(category: str | None) -> Difference:
        def truth(i: int) -> bool | None:
            return items[i].flagged if category is None else items[i].labels.get(category)

        def predicted(answers: Sequence[Answer], i: int) -> bool:
            return answers[i].any_flagged if category is None else category in answers[i].flagged

        def f1(answers: Sequence[Answer], sample: Sequence[int]) -> float | None:
            return confusion((truth(i), predicted(answers, i)) for i in sample).f1

        def delta(sample: Sequence[int]) -> float | None:
            a, b = f1(first, sample), f1(second, sample)
            return None if a is None or b is None else b - a

        whole = range(n)
        return Difference(
            f"F1 {category or 'flagged (any category)'}",
            f1(first, whole),
            f1(second, whole),
            bootstrap(delta, n, samples),
        )

    def mean_delta(name: str, value: str) -> Difference:
        def mean(answers: Sequence[Answer], sample: Sequence[int]) -> float | None:
            return sum(getattr(answers[i], value) for i in sample) / len(sample) if sample else None

        def delta(sample: Sequence[int]) -> float | None:
            a, b = mean(first, sample), mean(second, sample)
            return None if a is None or b is None else b - a

        return Difference(
            name, mean(first, range(n)), mean(second, range(n)), bootstrap(delta, n, samples)
        )

    differences = [f1_delta(None)]
    differences += [f1_delta(c) for c in categories if any(i.labels.get(c) for i in items)]
    differences += [mean_delta("cost per item (USD)", "cost_usd")]
    differences += [mean_delta("latency per item (ms)", "latency_ms")]
    return Comparison(
        first=first[0].config_id if first else "",
        second=second[0].config_id if second else "",
        items=n,
        kappa=cohen_kappa([a.any_flagged for a in first], [b.any_flagged for b in second]),
        category_kappa={
            c: cohen_kappa([c in a.flagged for a in first], [c in b.flagged for b in second])
            for c in categories
        },
        differences=differences,
    )
