"""The worker's writable state folder: created with its parents, or one line saying why not."""

from __future__ import annotations

import tempfile
from pathlib import Path

from moderation.cli_errors import UsageError


def prepare_data_dir(path: Path, variable: str = "MODERATION_DATA_DIR") -> Path:
    """Create ``path`` (parents included) and check that it is writable; returns it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UsageError(
            f"{variable}={str(path)!r}: cannot create or write the worker's data folder "
            f"({reason}); set {variable} to a writable folder"
        ) from None
    return path
