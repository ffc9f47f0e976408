"""Guards for the test tree: pytest imports test modules by basename (rootdir, no packages)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[2]


def test_python_module_basenames_are_unique_across_test_folders() -> None:
    names = Counter(path.name for path in TESTS.rglob("*.py") if path.name != "conftest.py")
    clashes = sorted(name for name, count in names.items() if count > 1)
    assert clashes == [], f"rename these so pytest can import them: {clashes}"


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
