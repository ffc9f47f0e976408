"""A span exporter that appends one JSON line per finished span to a local file.

Several processes may share the file: each line goes out in one ``write`` on an ``O_APPEND``
descriptor, so lines never interleave.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from moderation.telemetry.records import dump_line, span_record


class JsonlSpanExporter(SpanExporter):
    """Appends ``SpanRecord`` lines to ``path`` (parent folders are created)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError:
            return SpanExportResult.FAILURE
        try:
            for span in spans:
                _write_all(fd, dump_line(span_record(span)))
        except OSError:
            return SpanExportResult.FAILURE
        finally:
            os.close(fd)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing is held open between exports."""

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


def _write_all(fd: int, line: bytes) -> None:
    written = os.write(fd, line)
    # A short write on a regular file is rare (disk full); finish the line rather than lose it.
    while written < len(line):
        written += os.write(fd, line[written:])
