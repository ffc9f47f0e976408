"""parse_verdict_output: validation against the schema and the policy, duplicate merging."""

from __future__ import annotations

import json

import pytest

from moderation.policy import Policy
from moderation.prompts import InvalidModelOutput, VerdictOutput, parse_verdict_output
from moderation_contracts import Severity


def test_valid_input_becomes_category_scores(policy: Policy) -> None:
    output = parse_verdict_output(
        {
            "categories": [{"category": "spam", "severity": "medium", "confidence": 0.8}],
            "rationale": "Repeated promotion. ",
        },
        policy,
    )
    assert isinstance(output, VerdictOutput)
    assert [(c.category, c.severity, c.confidence) for c in output.categories] == [
        ("spam", Severity.MEDIUM, 0.8)
    ]
    assert output.rationale == "Repeated promotion."


def test_clean_verdict(policy: Policy) -> None:
    output = parse_verdict_output({"categories": [], "rationale": ""}, policy)
    assert output.categories == []
    assert output.rationale == ""


def test_json_text_from_structured_output_is_accepted(policy: Policy) -> None:
    raw = json.dumps(
        {"categories": [{"category": "hate", "severity": "low", "confidence": 1}], "rationale": "x"}
    )
    assert parse_verdict_output(raw, policy).categories[0].confidence == 1.0
    with pytest.raises(InvalidModelOutput, match="not valid JSON"):
        parse_verdict_output('{"categories": [', policy)


def test_duplicates_merge_to_the_worst_severity(policy: Policy) -> None:
    output = parse_verdict_output(
        {
            "categories": [
                {"category": "harassment", "severity": "low", "confidence": 0.99},
                {"category": "spam", "severity": "low", "confidence": 0.7},
                {"category": "harassment", "severity": "high", "confidence": 0.6},
                {"category": "harassment", "severity": "medium", "confidence": 0.9},
                {"category": "spam", "severity": "low", "confidence": 0.75},
            ],
            "rationale": "",
        },
        policy,
    )
    merged = {c.category: (c.severity, c.confidence) for c in output.categories}
    assert merged == {"harassment": (Severity.HIGH, 0.6), "spam": (Severity.LOW, 0.75)}
    assert [c.category for c in output.categories] == ["harassment", "spam"]


@pytest.mark.parametrize(
    ("tool_input", "fragment"),
    [
        (
            {
                "categories": [{"category": "gossip", "severity": "low", "confidence": 0.5}],
                "rationale": "",
            },
            "'gossip' is not a category",
        ),
        (
            {
                "categories": [{"category": "spam", "severity": "extreme", "confidence": 0.5}],
                "rationale": "",
            },
            "categories.0.severity",
        ),
        (
            {
                "categories": [{"category": "spam", "severity": "low", "confidence": 1.5}],
                "rationale": "",
            },
            "categories.0.confidence",
        ),
        (
            {"categories": [{"category": "spam", "severity": "low"}], "rationale": ""},
            "categories.0.confidence",
        ),
        (
            {
                "categories": [{"category": "spam", "severity": "low", "confidence": 0.5, "x": 1}],
                "rationale": "",
            },
            "categories.0.x",
        ),
        ({"categories": []}, "rationale"),
        ({"rationale": ""}, "categories"),
        ({"categories": [], "rationale": "", "verdict": "clean"}, "verdict"),
        ({"categories": "none", "rationale": ""}, "categories"),
        (["not", "an", "object"], "schema"),
        (None, "schema"),
    ],
)
def test_invalid_input_raises(policy: Policy, tool_input: object, fragment: str) -> None:
    with pytest.raises(InvalidModelOutput) as caught:
        parse_verdict_output(tool_input, policy)
    assert fragment in caught.value.message
    assert isinstance(caught.value, ValueError)


def test_error_messages_do_not_repeat_the_input(policy: Policy) -> None:
    secret = "my neighbour's address is 12 Elm Road"
    with pytest.raises(InvalidModelOutput) as caught:
        parse_verdict_output({"categories": secret, "rationale": secret}, policy)
    assert "Elm Road" not in str(caught.value)
