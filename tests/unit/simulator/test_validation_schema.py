"""Request validation, schema filling and the x-simulate header."""

from __future__ import annotations

import random

import jsonschema
import pytest

from moderation_dev.simulator.config import Latency, SimConfig
from moderation_dev.simulator.errors import ConfigError, InvalidRequest, NotFound
from moderation_dev.simulator.faults import OnceMemory, parse_simulate_header, plan_faults
from moderation_dev.simulator.markers import Flag, Script
from moderation_dev.simulator.request import JsonDict
from moderation_dev.simulator.schema_fill import break_instance, fill_schema, minimal_instance
from moderation_dev.simulator.validation import validate_messages
from moderation_dev.simulator.verdict import Verdict
from tests.support.schemas import VERDICT_SCHEMA

TOOL: JsonDict = {"name": "record_verdict", "input_schema": VERDICT_SCHEMA}


def _body(**extra: object) -> JsonDict:
    body: JsonDict = {
        "model": "claude-haiku-4-5",
        "max_tokens": 2_000,
        "messages": [{"role": "user", "content": "hello"}],
    }
    body.update(extra)
    return body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"model": "claude-haiku-4-5", "messages": []}, "max_tokens: Field required"),
        (_body(max_tokens=-1), "max_tokens"),
        (_body(max_tokens=64_001), "maximum allowed number of output tokens"),
        (_body(messages=[]), "messages"),
        (_body(tools=[TOOL], tool_choice={"type": "tool", "name": "nope"}), "Tool 'nope'"),
        (_body(thinking={"type": "enabled", "budget_tokens": 512}), "budget_tokens"),
        (_body(thinking={"type": "enabled", "budget_tokens": 4_000}), "max_tokens"),
        (
            _body(
                tools=[TOOL],
                tool_choice={"type": "tool", "name": "record_verdict"},
                thinking={"type": "enabled", "budget_tokens": 1_024},
            ),
            "Thinking may not be enabled",
        ),
        (_body(temperature=0.2), "temperature"),
        (_body(bogus=1), "bogus: Extra inputs are not permitted"),
    ],
)
def test_invalid_requests_name_the_problem(body: JsonDict, expected: str) -> None:
    with pytest.raises(InvalidRequest, match=expected):
        validate_messages(body, "2026-10-21")


def test_sampling_allowed_under_old_version_with_bounds() -> None:
    assert validate_messages(_body(temperature=0.2), "2023-06-01").max_tokens == 2_000
    with pytest.raises(InvalidRequest, match="temperature"):
        validate_messages(_body(temperature=1.5), "2023-06-01")


def test_at_most_four_breakpoints_and_unknown_model() -> None:
    marked = {"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}
    with pytest.raises(InvalidRequest, match="maximum of 4"):
        validate_messages(_body(system=[marked] * 5), "2026-10-21")
    with pytest.raises(NotFound):
        validate_messages(_body(model="gpt-4o"), "2026-10-21")


def test_verdict_fills_the_schema_with_enum_names() -> None:
    verdict = Verdict(
        "answer", (Flag("violence/graphic", "high", 0.9), Flag("sexual", "low", 0.5)), "why"
    )
    data = fill_schema(VERDICT_SCHEMA, verdict)
    jsonschema.validate(data, VERDICT_SCHEMA)
    assert data == {
        "categories": [{"category": "violence", "severity": "high", "confidence": 0.9}],
        "rationale": "why",
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(break_instance(data, VERDICT_SCHEMA), VERDICT_SCHEMA)


@pytest.mark.parametrize(
    "schema",
    [
        {
            "type": "object",
            "properties": {"n": {"type": "integer", "minimum": 3}},
            "required": ["n"],
        },
        {
            "type": "object",
            "$defs": {"tag": {"type": "string", "minLength": 2}},
            "properties": {
                "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}, "minItems": 2},
                "kind": {"anyOf": [{"const": "a"}, {"type": "null"}]},
                "ok": {"type": ["boolean", "null"]},
            },
            "required": ["tags", "kind", "ok"],
            "additionalProperties": False,
        },
    ],
)
def test_arbitrary_schemas_get_a_valid_instance(schema: JsonDict) -> None:
    jsonschema.validate(minimal_instance(schema), schema)
    jsonschema.validate(fill_schema(schema, Verdict("answer")), schema)


def test_simulate_header_and_fault_plan() -> None:
    header = parse_simulate_header("status=529; latency_ms=800, refuse")
    assert (header.status, header.latency_ms, header.refuse) == (529, 800.0, True)
    with pytest.raises(ConfigError):
        parse_simulate_header("explode")
    config = SimConfig(latency={"haiku": Latency(50.0, "lognormal")}, error_rates={529: 0.5})
    plans = [
        plan_faults(
            config,
            "haiku",
            Script(),
            parse_simulate_header(None),
            random.Random(i),
            OnceMemory(),
            "d",
        )
        for i in range(40)
    ]
    again = [
        plan_faults(
            config,
            "haiku",
            Script(),
            parse_simulate_header(None),
            random.Random(i),
            OnceMemory(),
            "d",
        )
        for i in range(40)
    ]
    assert plans == again
    injected = sum(1 for p in plans if p.status == 529)
    assert 8 <= injected <= 32
    once = OnceMemory()
    script = Script(status_once=500)
    first = plan_faults(SimConfig.instant(), "sonnet", script, header, random.Random(0), once, "d")
    second = plan_faults(
        SimConfig.instant(),
        "sonnet",
        script,
        parse_simulate_header(""),
        random.Random(0),
        once,
        "d",
    )
    assert first.status == 529  # the header wins over markers
    assert second.status == 500  # the header did not consume the once-only marker


def test_status_once_fires_once() -> None:
    once = OnceMemory()
    script = Script(status_once=500)
    none = parse_simulate_header(None)
    statuses = [
        plan_faults(SimConfig.instant(), "sonnet", script, none, random.Random(0), once, "d").status
        for _ in range(3)
    ]
    assert statuses == [500, None, None]
