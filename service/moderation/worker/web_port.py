"""The worker's web port: a distinct default per stage set (whether it is free is checked by
:func:`moderation.portcheck.ensure_port_free`).

All stages in one process listen on 6066. A worker running a subset gets 6066 plus a number
from its stages (triage 1, review 2, finalize 4, appeal 8), so the README's
one-worker-per-stage layout runs on one host as written: triage 6067, review 6068, finalize
6070, appeal 6074.
"""

from __future__ import annotations

from collections.abc import Collection

from moderation.settings import ALL_STAGES, Stage

BASE_PORT = 6066
_STAGE_BITS = {Stage.TRIAGE: 1, Stage.REVIEW: 2, Stage.FINALIZE: 4, Stage.APPEAL: 8}


def default_web_port(stages: Collection[Stage]) -> int:
    if set(stages) >= set(ALL_STAGES):
        return BASE_PORT
    return BASE_PORT + sum(_STAGE_BITS[stage] for stage in set(stages))
