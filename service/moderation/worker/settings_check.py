"""Read the worker's settings once, at start: a bad variable stops it before anything starts."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from moderation.settings import Settings, unknown_variables


def load_settings(**flags: Any) -> Settings:
    """The worker's settings: command-line ``flags`` (those given) over the environment.

    A ValidationError names the variable (see ``cli_errors``). Flags go to ``Settings(...)``,
    never into ``os.environ``.
    """
    return Settings(**{name: value for name, value in flags.items() if value is not None})


def warn_unknown_variables(environ: Mapping[str, str], log: logging.Logger) -> list[str]:
    """One WARNING naming the ``MODERATION_*`` variables nothing reads (typos, stale names)."""
    unknown = unknown_variables(environ)
    if unknown:
        log.warning(
            "ignored environment variables (no setting has these names; check the README's "
            "configuration table): %s",
            ", ".join(unknown),
        )
    return unknown
