"""The scale-out table: CPU per item per worker count, against the first, and its spread."""

from __future__ import annotations

import pytest
from loadtest.run import RunConfig
from loadtest.scale import (
    BACKGROUND_LEAD_S,
    BACKGROUND_TAIL_S,
    background_config,
    combine,
    main,
    plan,
    spread,
    table,
    traffic_mix,
)
from loadtest.scenarios import Scenario
from loadtest.traffic import DEFAULT_MIX, Route, TrafficSpec


def row(workers: int, cpu: float, lost: int = 0) -> dict[str, object]:
    return {
        "workers": workers,
        "items_per_s": 60.0 * workers,
        "cpu_ms_per_item": cpu,
        "cpu_s_per_worker": [cpu * 2.4] * workers,
        "calls_per_item": 1.158,
        "lost": lost,
    }


def test_the_spread_is_the_largest_over_the_smallest() -> None:
    assert spread([4.0, 4.2, 3.6]) == pytest.approx(4.2 / 3.6 - 1)
    assert spread([]) == 0.0


def test_the_table_says_flat_within_ten_percent_and_not_beyond() -> None:
    flat = table([row(1, 4.0), row(2, 4.2), row(4, 3.92)])
    assert "+5%" in flat  # 2 workers against 1
    assert "-2%" in flat  # 4 workers against 1
    assert "spread of CPU per item: 7% (flat;" in flat  # 4.2 over 3.92
    steep = table([row(1, 4.0), row(2, 4.2), row(4, 3.8)])
    assert "spread of CPU per item: 11% (NOT flat" in steep


def test_more_workers_than_partitions_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--workers", "1,8", "--partitions", "4"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--partitions 4" in err


def test_worker_counts_are_checked_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--workers", "1,zero"])
    assert "use counts like 1,2,4" in capsys.readouterr().err


def test_repeated_rounds_alternate_the_order_of_the_counts() -> None:
    assert plan((1, 2, 4), 3) == [1, 2, 4, 4, 2, 1, 1, 2, 4]
    assert plan((1, 2), 0) == [1, 2]


def test_repeated_runs_are_compared_by_their_medians() -> None:
    runs = [row(1, 4.0), row(2, 9.0), row(2, 4.1), row(1, 4.4), row(1, 3.9), row(2, 4.2)]
    runs[1]["lost"] = 1
    combined = combine(runs)
    assert [r["workers"] for r in combined] == [1, 2]
    assert [r["cpu_ms_per_item"] for r in combined] == [4.0, 4.2]
    assert combined[1]["runs_ms"] == [9.0, 4.1, 4.2]
    assert combined[1]["lost"] == 1, "a loss in any run shows"
    printed = table(combined)
    assert "9.00 / 4.10 / 4.20" in printed
    assert "(flat;" in printed


def test_the_unmeasured_group_has_the_same_rate_per_worker_and_outlasts_the_measured() -> None:
    measured = RunConfig(Scenario.STEADY, TrafficSpec(items=2400, seed=7), rate=60.0, latency_ms=0)
    rest = background_config(measured, 3, 60.0)
    assert (rest.workers, rest.rate, rest.traffic.seed) == (3, 180.0, 8)
    seconds = rest.traffic.items / rest.rate
    assert seconds == pytest.approx(40 + BACKGROUND_LEAD_S + BACKGROUND_TAIL_S, abs=0.01)
    assert (rest.baseline, rest.trace) == (measured.baseline, measured.trace)


def test_the_table_says_when_the_machine_load_was_held() -> None:
    rows = [row(1, 4.0), row(2, 4.1), row(4, 4.0)]
    assert "held" not in table(rows)
    rows[0]["background"] = {"workers": 3}
    rows[1]["background"] = {"workers": 2}
    rows[2]["background"] = None
    assert "the machine's load held at 4 workers'" in table(rows)


def test_without_the_review_stage_every_item_is_one_haiku_clears(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert traffic_mix(None) == pytest.approx(dict(DEFAULT_MIX))
    assert traffic_mix(("triage", "review")) == pytest.approx(dict(DEFAULT_MIX))
    assert traffic_mix(("triage",)) == {Route.ALLOW: 1.0}  # both others pass through Sonnet
    for wrong, said in (("review", "include it"), ("triage,reveiw", "unknown stage 'reveiw'")):
        with pytest.raises(SystemExit):
            main(["--stages", wrong])
        assert said in capsys.readouterr().err
