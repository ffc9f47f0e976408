"""The report's arithmetic, pure and small: confusion counts, PR-AUC, kappa, bootstrap, quantiles.

Undefined ratios (no predicted positives, no labelled positives) are ``None``, never 0: the
report prints them as ``n/a`` rather than pretending a model scored zero.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class Confusion:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        return ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        """Harmonic mean of precision and recall: 2tp / (2tp + fp + fn)."""
        return ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def fpr(self) -> float | None:
        """False-positive rate: fp / (fp + tn), the share of clean items flagged."""
        return ratio(self.fp, self.fp + self.tn)

    @property
    def accuracy(self) -> float | None:
        return ratio(self.tp + self.tn, self.total)


def confusion(pairs: Iterable[tuple[bool | None, bool]]) -> Confusion:
    """Counts over (truth, predicted) pairs; pairs with an unknown (``None``) truth are left out."""
    tp = fp = fn = tn = 0
    for truth, predicted in pairs:
        if truth is None:
            continue
        if truth and predicted:
            tp += 1
        elif predicted:
            fp += 1
        elif truth:
            fn += 1
        else:
            tn += 1
    return Confusion(tp, fp, fn, tn)


def average_precision(scored: Iterable[tuple[float, bool | None]]) -> float | None:
    """Area under the precision-recall curve as average precision (step-wise, no interpolation).

    Items are ranked by score, highest first; items with equal scores form one step. AP is the
    sum over steps of (recall gained) x (precision at that step). ``None`` without positives;
    unknown truths are left out.
    """
    known = sorted(((s, t) for s, t in scored if t is not None), key=lambda pair: -pair[0])
    positives = sum(1 for _, truth in known if truth)
    if not positives:
        return None
    area = 0.0
    tp = seen = 0
    index = 0
    while index < len(known):
        score = known[index][0]
        gained = 0
        while index < len(known) and known[index][0] == score:
            seen += 1
            if known[index][1]:
                gained += 1
            index += 1
        tp += gained
        if gained:
            area += (gained / positives) * (tp / seen)
    return area


@dataclass(frozen=True)
class SweepPoint:
    threshold: float
    counts: Confusion


def sweep(
    scored: Sequence[tuple[float, bool | None]], thresholds: Iterable[float]
) -> list[SweepPoint]:
    """Confusion counts when an item counts as positive at ``score >= threshold``."""
    return [
        SweepPoint(t, confusion((truth, score >= t) for score, truth in scored)) for t in thresholds
    ]


def cohen_kappa(first: Sequence[bool], second: Sequence[bool]) -> float | None:
    """Agreement of two raters beyond chance: (po - pe) / (1 - pe). ``None`` for no items;
    1.0 when both always give the same single answer (chance agreement is then total)."""
    n = len(first)
    if n != len(second):
        raise ValueError("both raters must rate the same items")
    if not n:
        return None
    observed = sum(1 for a, b in zip(first, second, strict=True) if a == b) / n
    p_first, p_second = sum(first) / n, sum(second) / n
    expected = p_first * p_second + (1 - p_first) * (1 - p_second)
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1 - expected)


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Interval:
    estimate: float | None
    low: float | None
    high: float | None


def resamples(n: int, rounds: int = 1000, seed: int = 0) -> list[list[int]]:
    """``rounds`` bootstrap resamples of item indices 0..n-1 (with repetition), seeded."""
    rng = random.Random(seed)  # noqa: S311 - statistics, not secrets; seeded to repeat
    return [[rng.randrange(n) for _ in range(n)] for _ in range(rounds)] if n else []


def bootstrap(
    statistic: Callable[[Sequence[int]], float | None],
    n: int,
    samples: Sequence[Sequence[int]],
    *,
    level: float = 0.95,
) -> Interval:
    """Percentile bootstrap interval of ``statistic`` over item indices 0..n-1.

    ``statistic`` gets a resample of indices and reads whatever per-item values it closes
    over, so a paired difference between two configurations resamples items, not answers.
    Pass the same ``samples`` (see :func:`resamples`) to every statistic of one report.
    Resamples where the statistic is undefined are dropped.
    """
    if not n:
        return Interval(None, None, None)
    estimate = statistic(range(n))
    draws = [value for sample in samples if (value := statistic(sample)) is not None]
    if not draws:
        return Interval(estimate, None, None)
    tail = (1 - level) / 2
    return Interval(estimate, quantile(draws, tail), quantile(draws, 1 - tail))
