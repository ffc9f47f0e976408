"""Read every settings group now, so a bad variable stops a command before it starts anything."""

from __future__ import annotations

from moderation.batch.settings import BatchSettings
from moderation.cache.settings import VerdictCacheSettings
from moderation.settings import Settings


def load_settings() -> Settings:
    """The worker's settings; a ValidationError names the variable (see ``cli_errors``)."""
    settings = Settings()
    VerdictCacheSettings()  # read again where used; validated here, not half-way through start-up
    BatchSettings()
    return settings
