"""The worker's data folder is created with its parents (a fresh clone has no ``.run/``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderation.cli_errors import UsageError
from moderation.worker.data_dir import prepare_data_dir


def test_missing_parents_are_created(tmp_path: Path) -> None:
    wanted = tmp_path / ".run" / "nested" / "worker-data"
    assert prepare_data_dir(wanted) == wanted
    assert wanted.is_dir()


def test_a_path_under_a_file_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(UsageError, match=r"^MODERATION_DATA_DIR='.*a-file/data': cannot create"):
        prepare_data_dir(blocker / "data")
