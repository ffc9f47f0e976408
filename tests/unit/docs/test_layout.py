"""The repository's top level is the one the design card describes."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[2]


def test_the_top_level_follows_the_design_card() -> None:
    root = TESTS.parent
    for entry in (
        "pyproject.toml",
        "service",
        "contracts",
        "helm",
        "tests",
        "loadtest",
        "README.md",
        "Makefile",
        ".ci/run",
    ):
        assert (root / entry).exists(), entry
