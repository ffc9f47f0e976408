"""The single updating progress line of the demo."""

from __future__ import annotations

from typing import TextIO

from moderation_dev.demo.ledger import Ledger


def progress_text(ledger: Ledger, total: int, elapsed_s: float) -> str:
    """``published 120/308 | decided 97 | pending human 4 | dead letters 3 | 12.3s``."""
    return (
        f"published {ledger.published_count}/{total} | decided {ledger.decided_count} | "
        f"pending human {ledger.pending_human_count} | dead letters {ledger.dead_letters} | "
        f"{elapsed_s:.1f}s"
    )


class ProgressLine:
    """Rewrites one terminal line in place; without a terminal, prints every ``every_s``."""

    def __init__(self, out: TextIO, every_s: float = 5.0) -> None:
        self._out = out
        self._tty = out.isatty()
        self._every_s = every_s
        self._last_printed = -every_s
        self._width = 0

    def show(self, text: str, elapsed_s: float) -> None:
        if self._tty:
            pad = max(0, self._width - len(text))
            self._out.write("\r" + text + " " * pad)
            self._width = len(text)
            self._out.flush()
        elif elapsed_s - self._last_printed >= self._every_s:
            self._out.write(text + "\n")
            self._out.flush()
            self._last_printed = elapsed_s

    def finish(self, text: str) -> None:
        """The last state, on a line of its own."""
        if self._tty:
            self._out.write("\r" + text + " " * max(0, self._width - len(text)) + "\n")
        else:
            self._out.write(text + "\n")
        self._out.flush()
