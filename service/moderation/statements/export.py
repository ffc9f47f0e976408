"""``moderation statements export``: statements of reasons as JSONL batches for the DSA
Transparency Database. Pure apart from reading the schema file; the CLI reads the topic.

Each output line is one API batch, ``{"statements": [...]}`` with at most 100 statements, in
the database's own fields (our tenant, content and decision ids are left out; ``puid`` carries
the decision id). Every batch is validated against ``dsa_statement.schema.json``, written by
hand from the database's published field list rather than generated from our models.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Final

import jsonschema  # type: ignore[import-untyped]  # no stubs pinned for jsonschema

from moderation_contracts import StatementOfReasons

BATCH_LIMIT: Final = 100
"""The database takes at most 100 statements per call."""
SCHEMA_PATH: Final = Path(__file__).with_name("dsa_statement.schema.json")


@cache
def _validator() -> Any:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def problems(batch: dict[str, Any]) -> list[str]:
    """What the published field list finds wrong with ``batch`` (empty when it is valid)."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(batch)'}: {error.message}"
        for error in _validator().iter_errors(batch)
    ]


@dataclass
class ExportResult:
    batches: list[dict[str, Any]] = field(default_factory=list)
    exported: int = 0
    duplicates: int = 0
    invalid: list[str] = field(default_factory=list)
    """One line per statement left out: its puid and what is wrong with it."""


def select(
    statements: Iterable[StatementOfReasons], since: datetime
) -> Iterator[StatementOfReasons]:
    """Statements of decisions made at or after ``since``, once per puid, in order read."""
    seen: set[str] = set()
    for statement in statements:
        if statement.created_at < since or statement.puid in seen:
            continue
        seen.add(statement.puid)
        yield statement


def export(statements: Iterable[StatementOfReasons], since: datetime) -> ExportResult:
    """Batch and validate; a statement the schema refuses is left out and named."""
    result = ExportResult()
    chosen = list(statements)
    picked = list(select(chosen, since))
    result.duplicates = sum(1 for s in chosen if s.created_at >= since) - len(picked)
    current: list[dict[str, Any]] = []
    for statement in picked:
        fields = statement.dsa_fields()
        found = problems({"statements": [fields]})
        if found:
            result.invalid.append(f"{statement.puid}: {'; '.join(found)}")
            continue
        current.append(fields)
        if len(current) == BATCH_LIMIT:
            result.batches.append({"statements": current})
            current = []
    if current:
        result.batches.append({"statements": current})
    for batch in result.batches:  # the batch as a whole, too (size, envelope)
        found = problems(batch)
        if found:
            raise ValueError(f"an exported batch breaks the DSA field list: {found[0]}")
    result.exported = sum(len(b["statements"]) for b in result.batches)
    return result
