"""Generate (or check) the committed JSON Schemas and AsyncAPI document.

    python -m moderation_contracts.schemagen           # write contracts/schemas/, asyncapi.yaml
    python -m moderation_contracts.schemagen --check   # exit 1 on drift or a breaking change

Besides ``schemas/<name>.v1.json`` and one-line ``examples/<name>.v1.json`` it keeps
``schemas/releases/<major.minor>/``: a snapshot written once per contract version and never
rewritten. Changing a model without bumping
``SCHEMA_MINOR`` fails, and every snapshot of the current major must stay compatible.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import yaml

from moderation_contracts.asyncapi import build_asyncapi
from moderation_contracts.common import SCHEMA_MAJOR, SCHEMA_VERSION, Payload
from moderation_contracts.compat import JsonObject, breaking_changes_by_name
from moderation_contracts.examples import examples
from moderation_contracts.topics import TOPICS
from moderation_contracts.validation import dump_payload

CONTRACTS_DIR: Final = Path(__file__).resolve().parents[1]
JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
GENERATED_NOTE: Final = (
    "Generated from moderation_contracts; run python -m moderation_contracts.schemagen"
)


def json_schema(model: type[Payload]) -> dict[str, object]:
    """The published JSON Schema of one payload model."""
    schema: dict[str, object] = model.model_json_schema(mode="validation")
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["$comment"] = GENERATED_NOTE
    schema["x-schema-version"] = SCHEMA_VERSION
    return schema


def render_json(document: Mapping[str, object]) -> str:
    """Deterministic JSON text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_yaml(document: Mapping[str, object]) -> str:
    """Deterministic YAML text in the document's own key order."""
    body = yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=100)
    return f"# {GENERATED_NOTE}\n{body}"


def current_schemas() -> dict[str, dict[str, object]]:
    """Schema name to JSON Schema for every topic payload."""
    return {spec.payload.schema_name: json_schema(spec.payload) for spec in TOPICS}


def release_dir(root: Path, version: str = SCHEMA_VERSION) -> Path:
    """Where the immutable snapshot of one contract version lives."""
    return root / "schemas" / "releases" / version


def expected_files(root: Path) -> dict[Path, str]:
    """Every generated file with its exact content, current schemas and AsyncAPI included."""
    files: dict[Path, str] = {}
    for name, schema in current_schemas().items():
        text = render_json(schema)
        files[root / "schemas" / f"{name}.v{SCHEMA_MAJOR}.json"] = text
        files[release_dir(root) / f"{name}.json"] = text
    for name, example in examples().items():
        line = dump_payload(example).decode("utf-8")
        files[root / "examples" / f"{name}.v{SCHEMA_MAJOR}.json"] = line + "\n"
    files[root / "asyncapi.yaml"] = render_yaml(build_asyncapi())
    return files


def load_releases(root: Path) -> dict[str, dict[str, JsonObject]]:
    """Released snapshots of the current major: version to schema name to schema."""
    releases: dict[str, dict[str, JsonObject]] = {}
    base = root / "schemas" / "releases"
    for folder in sorted(base.glob(f"{SCHEMA_MAJOR}.*")):
        releases[folder.name] = {
            path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("*.json"))
        }
    return releases


def compatibility_problems(root: Path) -> list[str]:
    """Breaking changes of the current models against every release of the current major."""
    current: dict[str, JsonObject] = dict(current_schemas())
    problems: list[str] = []
    for version, schemas in load_releases(root).items():
        problems += [f"since {version}: {p}" for p in breaking_changes_by_name(schemas, current)]
    return problems


def drift(root: Path) -> list[str]:
    """Generated files that are missing or differ from what the models produce."""
    problems = []
    for path, text in expected_files(root).items():
        relative = path.relative_to(root)
        if not path.exists():
            problems.append(f"{relative}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{relative}: differs from the models")
    return problems


def write(root: Path) -> list[str]:
    """Write every generated file; refuse to rewrite a released snapshot."""
    snapshot = release_dir(root)
    problems = []
    for path, text in expected_files(root).items():
        if path.parent == snapshot and path.exists() and path.read_text(encoding="utf-8") != text:
            problems.append(
                f"{path.relative_to(root)}: contract {SCHEMA_VERSION} was released with different "
                "content; bump SCHEMA_MINOR (additive change) in moderation_contracts.common"
            )
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m moderation_contracts.schemagen")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on problems")
    parser.add_argument("--root", type=Path, default=CONTRACTS_DIR, help="the contracts/ folder")
    args = parser.parse_args(argv)
    root: Path = args.root
    problems = compatibility_problems(root)
    problems += drift(root) if args.check else write(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
