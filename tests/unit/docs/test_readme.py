"""The README stays true to the code: its configuration table is generated and checked."""

from __future__ import annotations

from pathlib import Path

from moderation import settings_doc

ROOT = Path(__file__).resolve().parents[3]


def test_readme_configuration_table_matches_the_settings() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_doc.main(["--check", str(ROOT / "README.md")]) == 0, (
        "README configuration table is stale: run `make docs`"
    )
    assert "`ANTHROPIC_API_KEY`" in readme


def test_every_setting_has_a_meaning() -> None:
    for row in settings_doc.table().splitlines()[2:]:
        meaning = row.rsplit("|", 2)[-2].strip()
        assert meaning, f"undocumented setting: {row}"


def test_the_readme_names_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for command in ("make demo", "make test"):
        assert command in readme
    assert makefile.index("\ndemo:") < makefile.index("\ntest:") < makefile.index("\nhelp:")
