"""Dead letters after the fix: choose them, and put their original records back on a topic."""

from moderation.deadletter.replay import (
    REPLAY_HEADER,
    ReplayFilter,
    ReplayPlan,
    ReplayRecord,
    Selection,
    parse_since,
    plan_replay,
)

__all__ = [
    "REPLAY_HEADER",
    "ReplayFilter",
    "ReplayPlan",
    "ReplayRecord",
    "Selection",
    "parse_since",
    "plan_replay",
]
