"""The appeal and statement contracts: their own rules, beyond the generic schema checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from moderation_contracts import (
    AppealOutcome,
    AppealRejection,
    AppealStatus,
    Decision,
    StatementOfReasons,
    parse_payload,
)
from moderation_contracts import examples as ex
from moderation_contracts.examples import appeal_examples

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def outcome(**changes: object) -> dict[str, object]:
    base = {
        "appeal_id": "ap-1",
        "content_id": "c-1",
        "tenant_id": "acme",
        "appellant_id": "u-1",
        "status": "received",
        "submitted_at": T0.isoformat(),
    }
    return {**base, **changes}


def test_a_rejection_is_set_exactly_when_the_status_is_rejected() -> None:
    assert AppealOutcome.model_validate(outcome()).rejection is None
    made = AppealOutcome.model_validate(outcome(status="rejected", rejection="late"))
    assert made.rejection is AppealRejection.LATE
    with pytest.raises(ValidationError, match="rejection is set exactly"):
        AppealOutcome.model_validate(outcome(status="rejected"))
    with pytest.raises(ValidationError, match="rejection is set exactly"):
        AppealOutcome.model_validate(outcome(status="upheld", rejection="late"))


def test_an_overturn_names_its_new_decision() -> None:
    with pytest.raises(ValidationError, match="names its new decision"):
        AppealOutcome.model_validate(outcome(status=AppealStatus.OVERTURNED))
    made = AppealOutcome.model_validate(outcome(status="overturned", new_decision_id="d-2"))
    assert made.new_decision_id == "d-2"


def test_a_1_1_decision_still_parses_and_the_new_fields_default_empty() -> None:
    old = ex.final_decision().model_dump(mode="json")
    for name in ("decision_id", "supersedes", "reviewer_id", "content_kinds", "verdicts"):
        old.pop(name)
    old["schema_version"] = "1.1"
    made = parse_payload(Decision, json.dumps(old).encode())
    assert (made.decision_id, made.supersedes, made.reviewer_id) == (None, None, None)
    assert (made.content_kinds, made.verdicts) == ([], [])


def test_a_statement_carries_the_fields_of_its_ground() -> None:
    statement = next(e for e in appeal_examples() if isinstance(e, StatementOfReasons))
    data = statement.model_dump(mode="json")
    with pytest.raises(ValidationError, match="incompatible-content ground"):
        StatementOfReasons.model_validate({**data, "incompatible_content_explanation": None})
    with pytest.raises(ValidationError, match="illegal-content ground"):
        StatementOfReasons.model_validate(
            {**data, "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT"}
        )
    with pytest.raises(ValidationError):
        StatementOfReasons.model_validate({**data, "puid": "has.a.dot"})
    with pytest.raises(ValidationError):
        StatementOfReasons.model_validate({**data, "application_date": "2026-11-01T00:00:00Z"})
    fields = statement.dsa_fields()
    assert "tenant_id" not in fields
    assert fields["puid"] == statement.puid
