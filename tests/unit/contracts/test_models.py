"""Model rules: round trips, cross-field validators, UTC timestamps, cost arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from moderation_contracts import (
    SCHEMA_VERSION,
    Attachment,
    CategoryScore,
    CostBreakdown,
    Decision,
    DecisionStatus,
    HumanAction,
    HumanDecision,
    ModerationRequest,
    Payload,
    Severity,
    Tier,
    TierCost,
    dump_payload,
    parse_payload,
)
from moderation_contracts import examples as ex


@pytest.mark.parametrize("payload", ex.all_examples(), ids=lambda p: type(p).__name__)
def test_contracts_every_example_round_trips(payload: Payload) -> None:
    raw = dump_payload(payload)
    again = parse_payload(type(payload), raw)
    assert again == payload
    assert dump_payload(again) == raw


def test_contracts_dump_is_compact_utf8_with_utc_z() -> None:
    raw = dump_payload(ex.request().model_copy(update={"text": "café ☕"}))
    assert b", " not in raw
    assert b": " not in raw
    assert "café ☕".encode() in raw
    assert b'"submitted_at":"2026-11-02T09:30:00Z"' in raw


def test_contracts_schema_version_defaults_to_current() -> None:
    stamp = f'"schema_version":"{SCHEMA_VERSION}",'.encode()
    body = dump_payload(ex.request()).replace(stamp, b"")
    assert b"schema_version" not in body
    assert parse_payload(ModerationRequest, body).schema_version == SCHEMA_VERSION


def test_contracts_later_minor_version_is_accepted_and_unknown_fields_ignored() -> None:
    body = dump_payload(ex.request()).replace(
        f'"schema_version":"{SCHEMA_VERSION}"'.encode(),
        b'"schema_version":"1.7","new_field":{"x":[1,2]}',
    )
    parsed = parse_payload(ModerationRequest, body)
    assert parsed.schema_version == "1.7"
    assert "new_field" not in parsed.model_dump()


def test_contracts_offsets_are_normalised_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    data = ex.request().model_dump(mode="json") | {"submitted_at": "2026-11-02T11:30:00+02:00"}
    parsed = ModerationRequest.model_validate(data)
    assert parsed.submitted_at == datetime(2026, 11, 2, 11, 30, tzinfo=plus_two)
    assert parsed.submitted_at.utcoffset() == timedelta(0)


def test_contracts_naive_timestamps_are_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        ModerationRequest(
            content_id="c1", tenant_id="t", text="x", submitted_at=datetime(2026, 1, 1)
        )


def test_contracts_request_needs_text_or_attachments() -> None:
    with pytest.raises(ValidationError, match="needs text, attachments, or both"):
        ModerationRequest(content_id="c1", tenant_id="t", submitted_at=ex.T0)
    with pytest.raises(ValidationError, match="at least 1 character"):
        ModerationRequest(content_id="c1", tenant_id="t", text="", submitted_at=ex.T0)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "exactly one of url or data"),
        (
            {"url": "https://x.example/a.png", "data": ex.PIXEL_PNG_B64},
            "exactly one of url or data",
        ),
        ({"data": ex.PIXEL_PNG_B64}, "media_type is required"),
        ({"data": "data:image/png;base64,AAAA", "media_type": "image/png"}, "pattern"),
        ({"data": "AAA", "media_type": "image/png"}, "at least 4"),
        ({"data": "AAAAA", "media_type": "image/png"}, "multiple of 4"),
        ({"url": "ftp://x.example/a.png"}, "pattern"),
        ({"url": "https://x.example/a b.png"}, "pattern"),
        ({"data": ex.PIXEL_PNG_B64, "media_type": "image/bmp"}, "image/jpeg"),
    ],
)
def test_contracts_attachment_rules(fields: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Attachment.model_validate(fields)


def test_contracts_attachment_decodes_inline_data() -> None:
    image = ex.inline_image_request().attachments[0]
    decoded = image.decoded()
    assert decoded is not None
    assert decoded.startswith(b"\x89PNG")
    assert ex.request().attachments[0].decoded() is None


@pytest.mark.parametrize("bad_id", ["", " c1", "c 1", "c1\x00", "c\t1", "-c1", "é", "c" * 129])
def test_contracts_ids_are_restricted(bad_id: str) -> None:
    with pytest.raises(ValidationError, match="content_id"):
        ModerationRequest(content_id=bad_id, tenant_id="t", text="x", submitted_at=ex.T0)


def test_contracts_control_character_in_id_is_named() -> None:
    with pytest.raises(ValidationError, match=r"U\+0007 at position 2"):
        ModerationRequest(content_id="ab\x07", tenant_id="t", text="x", submitted_at=ex.T0)


@pytest.mark.parametrize("name", ["violence/graphic", "personal_data", "self-harm/intent", "spam"])
def test_contracts_category_names_accept_policy_taxonomy(name: str) -> None:
    assert CategoryScore(category=name, severity=Severity.LOW, confidence=0.5).category == name


@pytest.mark.parametrize("name", ["Violence", "a/b/c", "/x", "x/", "1abc", "hate speech"])
def test_contracts_category_names_reject_other_shapes(name: str) -> None:
    with pytest.raises(ValidationError):
        CategoryScore(category=name, severity=Severity.LOW, confidence=0.5)


@pytest.mark.parametrize("confidence", [-0.01, 1.01, float("nan"), float("inf")])
def test_contracts_confidence_is_a_probability(confidence: float) -> None:
    with pytest.raises(ValidationError):
        CategoryScore(category="spam", severity=Severity.LOW, confidence=confidence)


def test_contracts_decision_final_must_match_status() -> None:
    pending = ex.pending_decision()
    with pytest.raises(ValidationError, match="final must be False"):
        Decision.model_validate(pending.model_dump() | {"final": True})
    with pytest.raises(ValidationError, match="final must be True"):
        Decision.model_validate(ex.final_decision().model_dump() | {"final": False})
    rejected = Decision(
        content_id="c1",
        tenant_id="t",
        status=DecisionStatus.REJECTED,
        decided_by=Tier.FALLBACK,
        final=True,
        reason="text: String should have at most 32768 characters",
    )
    assert rejected.policy_id is None
    assert rejected.max_severity is None


def test_contracts_max_severity_is_the_worst_category() -> None:
    decision = ex.final_decision().model_copy(
        update={
            "categories": [
                CategoryScore(category="spam", severity=Severity.LOW),
                CategoryScore(category="hate", severity=Severity.HIGH),
                CategoryScore(category="violence", severity=Severity.MEDIUM),
            ]
        }
    )
    assert decision.max_severity is Severity.HIGH
    assert ex.triage_verdict().max_severity is Severity.MEDIUM


def test_contracts_human_remove_needs_a_category() -> None:
    with pytest.raises(ValidationError, match="remove needs at least one category"):
        HumanDecision(content_id="c1", tenant_id="t", reviewer_id="r1", action=HumanAction.REMOVE)
    allow = HumanDecision(
        content_id="c1", tenant_id="t", reviewer_id="r1", action=HumanAction.ALLOW
    )
    assert allow.categories == []
    assert allow.decided_at.tzinfo is not None


def test_contracts_cost_add_merges_same_tier_and_model() -> None:
    cost = CostBreakdown().add(ex.triage_cost()).add(ex.review_cost()).add(ex.triage_cost())
    assert [(t.tier, t.calls) for t in cost.tiers] == [(Tier.HAIKU, 2), (Tier.SONNET, 1)]
    assert cost.tiers[0].input_tokens == 620
    assert cost.total_usd == pytest.approx(0.00725)
    assert CostBreakdown().merge(cost) == cost


def test_contracts_cost_add_returns_a_new_breakdown() -> None:
    empty = CostBreakdown()
    bigger = empty.add(ex.triage_cost())
    assert empty.tiers == []
    assert empty.total_usd == 0.0
    assert bigger.total_usd == pytest.approx(0.001)


def test_contracts_cost_total_must_equal_sum() -> None:
    with pytest.raises(ValidationError, match="does not equal the sum"):
        CostBreakdown(total_usd=1.0, tiers=[ex.triage_cost()])


def test_contracts_tier_cost_sum_needs_same_model() -> None:
    other = TierCost(tier=Tier.HAIKU, model="claude-haiku-5-5", calls=1, cost_usd=0.1)
    with pytest.raises(ValueError, match="same tier and model"):
        ex.triage_cost().plus(other)


def test_contracts_models_are_frozen() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        ex.request().text = "changed"  # type: ignore[misc]


def test_contracts_dead_letter_keeps_original_bytes() -> None:
    raw = bytes(range(256))
    letter = ex.dead_letter().capture(
        raw,
        None,
        error_code="invalid_utf8",
        error_message="bad\x00message",
        source_topic="moderation.requests.v1",
        source_partition=0,
        source_offset=7,
        headers=[("traceparent", None), ("x-bin", b"\xff\x00")],
    )
    assert letter.original_value() == raw
    assert letter.original_key() is None
    assert letter.error_message == "badmessage"
    assert letter.headers[1].value_b64 == "/wA="
    assert letter.failed_at.tzinfo is UTC or letter.failed_at.utcoffset() == timedelta(0)
