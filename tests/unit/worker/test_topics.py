"""Topic creation settings: replication and min.insync.replicas reach every created topic."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from moderation.settings import Settings
from moderation.worker.topics import _configs


def test_every_created_topic_gets_min_insync_replicas() -> None:
    plain = _configs("moderation.requests.v1", {}, set(), min_insync_replicas=2)
    assert plain == {"min.insync.replicas": "2"}
    changelog = _configs("x-changelog", {"x-changelog": 2048}, {"x-changelog"}, 2)
    assert changelog == {
        "min.insync.replicas": "2",
        "max.message.bytes": "2048",
        "cleanup.policy": "compact",
    }


def test_replication_settings_are_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_TOPIC_REPLICATION", "3")
    monkeypatch.setenv("MODERATION_TOPIC_MIN_INSYNC_REPLICAS", "2")
    settings = Settings()
    assert (settings.topic_replication, settings.topic_min_insync_replicas) == (3, 2)
    monkeypatch.setenv("MODERATION_TOPIC_MIN_INSYNC_REPLICAS", "4")
    with pytest.raises(ValidationError, match="MODERATION_TOPIC_MIN_INSYNC_REPLICAS=4 exceeds"):
        Settings()
