"""The report's arithmetic on cases small enough to check by hand."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from moderation.evaluation.metrics import (
    Confusion,
    average_precision,
    bootstrap,
    cohen_kappa,
    confusion,
    quantile,
    resamples,
    sweep,
)


def test_confusion_counts_leave_unknown_truths_out() -> None:
    pairs = [(True, True), (True, False), (False, True), (False, False), (False, False)]
    counts = confusion([*pairs, (None, True), (None, False)])
    assert counts == Confusion(tp=1, fp=1, fn=1, tn=2)
    assert counts.precision == pytest.approx(0.5)
    assert counts.recall == pytest.approx(0.5)
    assert counts.f1 == pytest.approx(0.5)
    assert counts.fpr == pytest.approx(1 / 3)
    assert counts.accuracy == pytest.approx(3 / 5)


def test_undefined_ratios_are_none_not_zero() -> None:
    nothing_flagged = confusion([(False, False), (True, False)])
    assert nothing_flagged.precision is None  # no predicted positives
    assert nothing_flagged.recall == 0.0
    assert nothing_flagged.f1 == 0.0
    assert confusion([(False, False)]).recall is None  # no labelled positives
    assert confusion([(True, True)]).fpr is None  # no labelled negatives


def test_f1_is_the_harmonic_mean_of_precision_and_recall() -> None:
    counts = Confusion(tp=6, fp=2, fn=4, tn=10)  # precision 0.75, recall 0.6
    assert counts.f1 == pytest.approx(2 * 0.75 * 0.6 / (0.75 + 0.6))


def test_average_precision_by_hand() -> None:
    ranked = [(0.9, True), (0.8, False), (0.7, True), (0.6, False), (0.5, True)]
    # precision at each positive: 1/1, 2/3, 3/5; each positive adds recall 1/3.
    assert average_precision(ranked) == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)
    assert average_precision([*ranked, (0.95, None)]) == pytest.approx(34 / 45)


def test_average_precision_treats_ties_as_one_step_and_needs_positives() -> None:
    assert average_precision([(0.5, False), (0.5, True)]) == pytest.approx(0.5)
    assert average_precision([(0.5, True), (0.5, False)]) == pytest.approx(0.5)
    assert average_precision([(0.9, False), (0.1, False)]) is None
    assert average_precision([(0.2, True), (0.9, True)]) == pytest.approx(1.0)


def test_threshold_sweep_counts_scores_at_or_above_the_threshold() -> None:
    scored = [(0.9, True), (0.6, False), (0.4, True), (0.0, False), (0.7, None)]
    low, mid, high = sweep(scored, (0.4, 0.6, 0.95))
    assert (low.threshold, low.counts) == (0.4, Confusion(tp=2, fp=1, fn=0, tn=1))
    assert mid.counts == Confusion(tp=1, fp=1, fn=1, tn=1)
    assert high.counts == Confusion(tp=0, fp=0, fn=2, tn=2)


def test_cohen_kappa_by_hand() -> None:
    first = [True, True, False, False, True, False, True, False, False, False]
    second = [True, False, False, False, True, False, True, True, False, False]
    # observed 0.8; both say yes 40% of the time: chance 0.4*0.4 + 0.6*0.6 = 0.52
    assert cohen_kappa(first, second) == pytest.approx((0.8 - 0.52) / (1 - 0.52))


def test_cohen_kappa_edges() -> None:
    assert cohen_kappa([], []) is None
    assert cohen_kappa([True, False], [True, False]) == pytest.approx(1.0)
    assert cohen_kappa([True, False], [False, True]) == pytest.approx(-1.0)
    assert cohen_kappa([False, False], [False, False]) == 1.0  # total chance agreement
    with pytest.raises(ValueError, match="same items"):
        cohen_kappa([True], [True, False])


def test_quantile_interpolates_like_numpy() -> None:
    values = [40.0, 10.0, 30.0, 20.0]
    assert quantile(values, 0.5) == pytest.approx(25.0)
    assert quantile(values, 0.95) == pytest.approx(38.5)
    assert quantile([7.0], 0.95) == 7.0
    assert quantile([], 0.5) is None


def test_bootstrap_of_a_constant_has_a_zero_width_interval() -> None:
    values = [2.0] * 20
    samples = resamples(20, rounds=200, seed=1)
    interval = bootstrap(lambda s: sum(values[i] for i in s) / len(s), 20, samples)
    assert (interval.estimate, interval.low, interval.high) == (2.0, 2.0, 2.0)


def test_bootstrap_interval_contains_the_estimate_and_is_repeatable() -> None:
    values = [float(i % 5) for i in range(50)]

    def mean(sample: Sequence[int]) -> float:
        return sum(values[i] for i in sample) / len(sample)

    first = bootstrap(mean, 50, resamples(50, rounds=300, seed=3))
    again = bootstrap(mean, 50, resamples(50, rounds=300, seed=3))
    assert first == again
    assert first.low is not None
    assert first.high is not None
    assert first.estimate == pytest.approx(2.0)
    assert first.low < 2.0 < first.high
    assert bootstrap(mean, 0, []).estimate is None
