"""Triage on input it cannot read: the rejected decision still names the effective policy."""

from __future__ import annotations

import json
from typing import cast

import pytest

from moderation.cache.judge import Judge
from moderation.policy import PolicyBook
from moderation.settings import TopicNames
from moderation.stages.triage import TriageStage
from moderation.streaming.records import Inbound

BOOK = PolicyBook.from_mapping(
    {"tenants": {"acme": {"version": "7"}}, "require_known_tenants": True}
)


@pytest.mark.parametrize(("tenant", "version"), [("acme", ":acme.7"), ("stranger", "")])
async def test_a_rejected_request_names_the_tenants_effective_policy(
    tenant: str, version: str
) -> None:
    stage = TriageStage(cast(Judge, None), BOOK, TopicNames())  # no model is asked
    raw = json.dumps({"content_id": "c-1", "tenant_id": tenant}).encode()
    outcome = await stage.handle(Inbound("requests", 0, 5, b"c-1", raw))
    decision = json.loads(outcome.outputs[1].value)
    assert decision["status"] == "rejected"
    assert decision["policy_id"] == BOOK.default.policy_id
    assert decision["policy_version"] == BOOK.default.version + version
