"""The export: batches of at most 100, once per puid, since a date, checked against the
database's field list (a schema written by hand, not generated from our models)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from moderation.statements.export import BATCH_LIMIT, SCHEMA_PATH, export, problems
from moderation_contracts import StatementOfReasons
from moderation_contracts.examples import appeal_examples

BASE = next(e for e in appeal_examples() if isinstance(e, StatementOfReasons))
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def statement(n: int, days: float = 1) -> StatementOfReasons:
    return BASE.model_copy(update={"puid": f"d-{n:05d}", "created_at": T0 + timedelta(days=days)})


def test_statements_go_out_in_batches_of_at_most_100_once_each() -> None:
    made = [statement(n) for n in range(250)]
    result = export([*made, made[3], made[200]], since=T0)
    assert [len(b["statements"]) for b in result.batches] == [BATCH_LIMIT, BATCH_LIMIT, 50]
    assert (result.exported, result.duplicates, result.invalid) == (250, 2, [])
    first = result.batches[0]["statements"][0]
    assert first["puid"] == "d-00000"
    assert not {"tenant_id", "content_id", "decision_id", "schema_version"} & set(first)
    assert json.dumps(result.batches[0])  # plain JSON


def test_only_decisions_since_the_date_are_exported() -> None:
    result = export([statement(1, days=-1), statement(2, days=0), statement(3)], since=T0)
    assert [s["puid"] for b in result.batches for s in b["statements"]] == ["d-00002", "d-00003"]


def test_a_statement_the_field_list_refuses_is_left_out_and_named() -> None:
    bad = StatementOfReasons.model_construct(
        **{**statement(9).model_dump(), "decision_facts": "x" * 5001, "puid": "d-bad"}
    )
    result = export([statement(1), bad], since=T0)
    assert result.exported == 1
    (problem,) = result.invalid
    assert problem.startswith("d-bad: statements/0/decision_facts")


def test_the_schema_knows_the_published_rules() -> None:
    fields = statement(1).dsa_fields()
    assert problems({"statements": [fields]}) == []
    assert problems({"statements": [fields] * 101})  # more than 100
    assert problems({"statements": [{**fields, "puid": "has.dot"}]})
    assert problems({"statements": [{**fields, "application_date": "01-11-2026"}]})
    missing = {k: v for k, v in fields.items() if k != "incompatible_content_explanation"}
    assert problems({"statements": [missing]})
    illegal = {**fields, "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT"}
    assert problems({"statements": [illegal]})  # needs its legal ground and explanation
    assert SCHEMA_PATH.read_text(encoding="utf-8").count("STATEMENT_CATEGORY_") == 16
