"""The verdict cache memory benchmark prints its figures (it measures; it asserts nothing)."""

from __future__ import annotations

import pytest
from loadtest.cache_memory import main


def test_it_prints_bytes_per_entry_and_the_default_bound(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["--entries", "200"])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines] == [
        "entries stored",
        "bytes kept per entry",
        "one hit (parse)",
        "at the default bound",
    ]
    assert lines[0].split()[-1] == "200"
    assert int(lines[1].split()[-1].replace(",", "")) > 0


def test_a_bad_entry_count_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--entries", "0"])
    assert exit_info.value.code == 2
    assert "--entries must be at least 1" in capsys.readouterr().err
