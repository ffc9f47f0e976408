"""Read the model's ``record_verdict`` input back into a validated verdict."""

from __future__ import annotations

import json
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from moderation.policy import Policy
from moderation.prompts.errors import InvalidModelOutput
from moderation_contracts import CategoryScore, Severity
from moderation_contracts.limits import MAX_RATIONALE_CHARS

Rationale = Annotated[str, StringConstraints(max_length=MAX_RATIONALE_CHARS, pattern=r"^[^\x00]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class _ToolCategory(_Strict):
    category: str
    severity: Severity
    confidence: Annotated[float, Field(ge=0.0, le=1.0)]


class _ToolInput(_Strict):
    categories: list[_ToolCategory]
    rationale: Rationale


class VerdictOutput(_Strict):
    """A model's verdict: one score per category (worst kept), and a short rationale."""

    categories: list[CategoryScore]
    rationale: Rationale = ""


def _describe(error: ValidationError) -> str:
    """Where and what, never the offending value (it may echo the content)."""
    problems = []
    for item in error.errors(include_url=False, include_input=False)[:5]:
        loc = ".".join(str(part) for part in item["loc"]) or "(input)"
        problems.append(f"{loc}: {item['msg']}")
    return "; ".join(problems)


def _merge(categories: list[_ToolCategory]) -> list[CategoryScore]:
    worst: dict[str, _ToolCategory] = {}
    for item in categories:
        kept = worst.get(item.category)
        if kept is None or (item.severity.rank, item.confidence) > (
            kept.severity.rank,
            kept.confidence,
        ):
            worst[item.category] = item
    return [
        CategoryScore(category=c.category, severity=c.severity, confidence=c.confidence)
        for c in worst.values()
    ]


def parse_verdict_output(tool_input: object, policy: Policy) -> VerdictOutput:
    """Validate a tool input (a mapping, or JSON text from a structured-output reply).

    Raises InvalidModelOutput when it does not fit the schema or names a category the policy
    does not define. Duplicates of one category merge into the worst severity (then the
    highest confidence).
    """
    if isinstance(tool_input, str | bytes):
        try:
            tool_input = json.loads(tool_input)
        except (ValueError, UnicodeDecodeError):
            raise InvalidModelOutput("verdict is not valid JSON") from None
    try:
        parsed = _ToolInput.model_validate(tool_input)
    except ValidationError as exc:
        raise InvalidModelOutput(f"verdict does not fit the schema: {_describe(exc)}") from None
    for index, item in enumerate(parsed.categories):
        if item.category not in policy.categories:
            name = item.category[:64]
            raise InvalidModelOutput(
                f"categories.{index}.category: {name!r} is not a category of policy "
                f"{policy.policy_id} {policy.version}"
            )
    return VerdictOutput(categories=_merge(parsed.categories), rationale=parsed.rationale.strip())
