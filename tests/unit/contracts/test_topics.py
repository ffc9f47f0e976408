"""The topic table: default names, keys, and who writes and reads each topic."""

from __future__ import annotations

import pytest

from moderation_contracts import (
    TOPICS,
    Appeal,
    AppealDecision,
    AppealOutcome,
    AppealTask,
    DeadLetter,
    Decision,
    HumanDecision,
    HumanReviewTask,
    ModerationRequest,
    Party,
    ReviewRequest,
    ShadowComparison,
    StatementOfReasons,
    topic_for,
    topics_read_by,
    topics_written_by,
)
from moderation_contracts.limits import MAX_DEAD_LETTER_BYTES, MAX_MESSAGE_BYTES


def test_contracts_default_topic_names() -> None:
    assert {spec.payload: spec.name for spec in TOPICS} == {
        ModerationRequest: "moderation.requests.v1",
        ReviewRequest: "moderation.review.sonnet.v1",
        HumanReviewTask: "moderation.review.human.v1",
        Decision: "moderation.decisions.v1",
        HumanDecision: "moderation.human-decisions.v1",
        DeadLetter: "moderation.deadletter.v1",
        ShadowComparison: "moderation.shadow.v1",
        Appeal: "moderation.appeals.v1",
        AppealTask: "moderation.review.appeals.v1",
        AppealDecision: "moderation.appeal-decisions.v1",
        AppealOutcome: "moderation.appeal-outcomes.v1",
        StatementOfReasons: "moderation.statements.v1",
    }


def test_contracts_every_topic_is_keyed_by_content_id_and_unique() -> None:
    assert all(spec.message_key == "content_id" for spec in TOPICS)
    assert len({spec.name for spec in TOPICS}) == len(TOPICS)
    assert len({spec.key for spec in TOPICS}) == len(TOPICS)
    assert len({spec.payload.schema_name for spec in TOPICS}) == len(TOPICS)


def test_contracts_every_topic_has_a_writer_and_a_reader() -> None:
    for spec in TOPICS:
        assert spec.producers, spec.key
        assert spec.consumers, spec.key


def test_contracts_stage_views() -> None:
    assert [s.payload for s in topics_read_by(Party.TRIAGE)] == [ModerationRequest]
    assert [s.payload for s in topics_read_by(Party.UPSTREAM)] == [Decision, AppealOutcome]
    assert ReviewRequest in [s.payload for s in topics_written_by(Party.TRIAGE)]
    assert [s.payload for s in topics_written_by(Party.UPSTREAM)] == [ModerationRequest, Appeal]
    assert [s.payload for s in topics_read_by(Party.APPEAL)] == [
        Decision,
        Appeal,
        AppealDecision,
    ]


def test_contracts_topic_for_payload() -> None:
    assert topic_for(HumanDecision).name == "moderation.human-decisions.v1"
    assert topic_for(DeadLetter).max_message_bytes == MAX_DEAD_LETTER_BYTES
    assert topic_for(ModerationRequest).max_message_bytes == MAX_MESSAGE_BYTES
    with pytest.raises(KeyError):
        topic_for(type("Other", (ModerationRequest,), {}))


def test_contracts_readme_lists_every_topic_and_limit() -> None:
    from moderation_contracts.limits import MAX_ATTACHMENT_B64_CHARS, MAX_TEXT_CHARS
    from moderation_contracts.schemagen import CONTRACTS_DIR

    readme = (CONTRACTS_DIR / "README.md").read_text(encoding="utf-8")
    for spec in TOPICS:
        assert f"`{spec.name}`" in readme
        assert f"`{spec.payload.schema_name}`" in readme
    assert f"{MAX_TEXT_CHARS:,}" in readme
    assert f"{MAX_ATTACHMENT_B64_CHARS:,}" in readme
