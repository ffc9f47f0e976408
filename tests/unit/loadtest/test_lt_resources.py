"""Worker memory and CPU figures: milestones of the items, growth from half to the end."""

from __future__ import annotations

import os

from loadtest.resources import Sample, Usage, rss_growth, rss_mb


def test_memory_is_reported_when_each_share_of_items_was_done() -> None:
    usage = Usage([1, 2], progress=lambda: 0)
    usage.samples = [
        Sample(0.0, 0, (100.0, 90.0)),
        Sample(1.0, 30, (110.0, 95.0)),
        Sample(2.0, 60, (120.0, 100.0)),
        Sample(3.0, 100, (121.0, 110.0)),
    ]
    usage.cpu_start, usage.cpu_end = (1.0, 2.0), (3.5, 4.0)
    summary = usage.summary(100)
    assert summary["cpu_s"] == [2.5, 2.0]
    assert summary["rss_mb"] == {
        "0%": [100.0, 90.0],
        "25%": [110.0, 95.0],
        "50%": [120.0, 100.0],
        "75%": [121.0, 110.0],
        "100%": [121.0, 110.0],
    }
    assert rss_growth(summary) == 0.1  # the second worker: 100 -> 110 MiB


def test_unfinished_runs_have_no_end_figure() -> None:
    usage = Usage([1], progress=lambda: 0)
    usage.samples = [Sample(0.0, 0, (50.0,)), Sample(1.0, 40, (60.0,))]
    summary = usage.summary(100)
    assert set(summary["rss_mb"]) == {"0%", "25%"}
    assert rss_growth(summary) is None


def test_this_process_has_resident_memory() -> None:
    assert rss_mb(os.getpid()) > 1
    assert rss_mb(2**22 + 12345) == 0.0  # no such process
