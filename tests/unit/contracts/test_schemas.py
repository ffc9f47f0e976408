"""Committed JSON Schemas: no drift, byte-identical regeneration, compatibility, parity."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]  # no stubs pinned for jsonschema
import pytest

from moderation_contracts import SCHEMA_VERSION, TOPICS, Payload, TopicSpec, dump_payload
from moderation_contracts import examples as ex
from moderation_contracts.compat import breaking_changes_by_name
from moderation_contracts.schemagen import (
    CONTRACTS_DIR,
    compatibility_problems,
    current_schemas,
    drift,
    expected_files,
    main,
    write,
)

SCHEMAS_DIR = CONTRACTS_DIR / "schemas"


def committed(name: str) -> dict[str, object]:
    schema: dict[str, object] = json.loads(
        (SCHEMAS_DIR / f"{name}.v1.json").read_text(encoding="utf-8")
    )
    return schema


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = committed(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_contracts_committed_files_match_the_models() -> None:
    assert drift(CONTRACTS_DIR) == [], "run: python -m moderation_contracts.schemagen"
    assert main(["--check"]) == 0


def test_contracts_regeneration_is_byte_identical(tmp_path: Path) -> None:
    assert write(tmp_path) == []
    first = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert write(tmp_path) == []
    second = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert first == second
    for path, content in first.items():
        assert (CONTRACTS_DIR / path).read_bytes() == content, path
        assert content.endswith(b"\n")


def test_contracts_drift_is_detected(tmp_path: Path) -> None:
    write(tmp_path)
    target = tmp_path / "schemas" / "decision.v1.json"
    target.write_text(target.read_text().replace('"final"', '"is_final"'), encoding="utf-8")
    (tmp_path / "asyncapi.yaml").unlink()
    assert drift(tmp_path) == [
        "schemas/decision.v1.json: differs from the models",
        "asyncapi.yaml: missing",
    ]
    assert main(["--check", "--root", str(tmp_path)]) == 1


def test_contracts_released_snapshot_is_never_rewritten(tmp_path: Path) -> None:
    write(tmp_path)
    snapshot = tmp_path / "schemas" / "releases" / SCHEMA_VERSION / "decision.json"
    snapshot.write_text(snapshot.read_text().replace('"maxLength": 4000', '"maxLength": 9000'))
    problems = write(tmp_path)
    assert len(problems) == 1
    assert "bump SCHEMA_MINOR" in problems[0]
    assert "maxLength lowered from 9000.0 to 4000.0" in " ".join(compatibility_problems(tmp_path))


def test_contracts_models_are_compatible_with_every_release() -> None:
    assert (SCHEMAS_DIR / "releases" / "1.0").is_dir()
    assert compatibility_problems(CONTRACTS_DIR) == []
    committed_now = {name: committed(name) for name in current_schemas()}
    assert breaking_changes_by_name(committed_now, current_schemas()) == []


def test_contracts_every_topic_has_a_schema_and_example() -> None:
    files = {p.relative_to(CONTRACTS_DIR).as_posix() for p in expected_files(CONTRACTS_DIR)}
    for spec in TOPICS:
        assert f"schemas/{spec.schema_file}" in files
        assert f"examples/{spec.schema_file}" in files
        assert (SCHEMAS_DIR / spec.schema_file).exists()
    assert sorted(p.name for p in SCHEMAS_DIR.glob("*.json")) == sorted(
        spec.schema_file for spec in TOPICS
    )


@pytest.mark.parametrize("payload", ex.all_examples(), ids=lambda p: type(p).__name__)
def test_contracts_examples_validate_against_committed_schemas(payload: Payload) -> None:
    document = json.loads(dump_payload(payload))
    validator(type(payload).schema_name).validate(document)


def test_contracts_committed_example_files_validate() -> None:
    for spec in TOPICS:
        line = (CONTRACTS_DIR / "examples" / spec.schema_file).read_text(encoding="utf-8")
        assert line.count("\n") == 1
        validator(spec.payload.schema_name).validate(json.loads(line))


BAD_FOR_BOTH = [
    ("content_id", "a b"),
    ("content_id", "a\u0000b"),
    ("tenant_id", "x" * 129),
    ("text", "a\u0000b"),
    ("text", "x" * 32769),
    ("locale", "english"),
    ("schema_version", "2.0"),
    ("submitted_at", 1700000000),
    ("attachments", [{"kind": "image", "url": "https://x.example/1"}] * 5),
]


@pytest.mark.parametrize(("field", "value"), BAD_FOR_BOTH)
def test_contracts_schema_and_model_reject_the_same_bad_fields(field: str, value: object) -> None:
    document = json.loads(dump_payload(ex.request())) | {field: value}
    assert not validator("moderation-request").is_valid(document)
    with pytest.raises(ValueError, match=field):
        ex.request().model_validate_json(json.dumps(document), strict=True)


@pytest.mark.parametrize("spec", TOPICS, ids=lambda s: s.key)
def test_contracts_validation_and_serialization_schemas_agree(spec: TopicSpec) -> None:
    # One file describes both what we read and what we write, so the two must not differ.
    model = spec.payload
    assert model.model_json_schema(mode="validation") == model.model_json_schema(
        mode="serialization"
    )


def refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_contracts_schema_files_are_standalone() -> None:
    with_refs = 0
    for spec in TOPICS:
        schema = committed(spec.payload.schema_name)
        found = refs(schema)
        with_refs += bool(found)  # a flat payload (e.g. the appeal) has none
        for ref in found:
            assert ref.startswith("#/$defs/")
            assert ref.removeprefix("#/$defs/") in schema["$defs"]  # type: ignore[operator]
    assert with_refs >= len(TOPICS) - 2


def test_contracts_tmp_copy_of_real_tree_checks_clean(tmp_path: Path) -> None:
    shutil.copytree(CONTRACTS_DIR / "schemas", tmp_path / "schemas")
    shutil.copytree(CONTRACTS_DIR / "examples", tmp_path / "examples")
    shutil.copy(CONTRACTS_DIR / "asyncapi.yaml", tmp_path / "asyncapi.yaml")
    assert main(["--check", "--root", str(tmp_path)]) == 0
