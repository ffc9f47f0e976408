"""The footprint summary: five points over the run, the peak, and the second half's growth."""

from __future__ import annotations

from loadtest.resources import Sample, summarise


def test_the_summary_keeps_the_quarters_and_the_peak() -> None:
    samples = [Sample(float(s), 10 * s, 100.0 + s) for s in range(9)]
    summary = summarise(samples)
    picked = [summary[name]["rss_mib"] for name in ("first", "quarter", "middle", "last")]
    assert picked == [100.0, 102.0, 104.0, 108.0]
    assert summary["three quarters"]["cache_entries"] == 60
    assert summary["peak_rss_mib"] == 108.0
    assert summary["samples"] == 9


def test_no_samples_is_an_empty_summary() -> None:
    assert summarise([]) == {}
