"""The AsyncAPI document parses, covers every topic, and every reference resolves."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import yaml

from moderation_contracts import TOPICS
from moderation_contracts.asyncapi import STAGES, build_asyncapi
from moderation_contracts.schemagen import CONTRACTS_DIR

DOC_PATH = CONTRACTS_DIR / "asyncapi.yaml"
Json = dict[str, object]


def load() -> Json:
    return cast(Json, yaml.safe_load(DOC_PATH.read_text(encoding="utf-8")))


def pointer(document: object, fragment: str) -> object:
    node = document
    for part in fragment.lstrip("/").split("/") if fragment.strip("/") else []:
        assert isinstance(node, dict), fragment
        key = part.replace("~1", "/").replace("~0", "~")
        assert key in node, f"{fragment}: {key} missing"
        node = node[key]
    return node


def resolve(ref: str, base: Path, document: object) -> object:
    """Resolve a local (#/...) or relative-file (./x.json#/...) reference."""
    location, _, fragment = ref.partition("#")
    if location:
        target_path = (base.parent / location).resolve()
        assert target_path.is_file(), ref
        document = yaml.safe_load(target_path.read_text(encoding="utf-8"))
    return pointer(document, fragment)


def all_refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in all_refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in all_refs(v)]
    return []


def test_contracts_asyncapi_parses_as_version_3() -> None:
    doc = load()
    assert doc["asyncapi"] == "3.0.0"
    assert doc == build_asyncapi()
    for key in ("info", "channels", "operations", "components"):
        assert key in doc


def test_contracts_asyncapi_references_resolve() -> None:
    doc = load()
    refs = all_refs(doc)
    assert len(refs) >= 3 * len(TOPICS)
    for ref in refs:
        target = resolve(ref, DOC_PATH, doc)
        assert isinstance(target, dict), ref
        assert target, ref


def test_contracts_asyncapi_describes_every_topic() -> None:
    doc = load()
    channels = cast(Json, doc["channels"])
    messages = cast(Json, cast(Json, doc["components"])["messages"])
    for spec in TOPICS:
        channel = cast(Json, channels[spec.key])
        assert channel["address"] == spec.name
        assert channel["x-producers"] == [str(p) for p in spec.producers]
        assert channel["x-consumers"] == [str(p) for p in spec.consumers]
        message = cast(Json, messages[spec.payload.__name__])
        assert message["payload"] == {"$ref": f"./schemas/{spec.schema_file}"}
        kafka = cast(Json, cast(Json, message["bindings"])["kafka"])
        assert "content_id" in str(cast(Json, kafka["key"])["description"])
        payload = resolve(f"./schemas/{spec.schema_file}", DOC_PATH, doc)
        assert cast(Json, payload)["title"] == spec.payload.__name__


def test_contracts_asyncapi_operations_follow_the_topic_table() -> None:
    doc = load()
    operations = cast(Json, doc["operations"])
    expected = {
        f"{stage}_{action}_{spec.key}"
        for spec in TOPICS
        for action, parties in (("receive", spec.consumers), ("send", spec.producers))
        for stage in STAGES
        if stage in parties
    }
    assert set(operations) == expected
    for name, operation in operations.items():
        op = cast(Json, operation)
        channel_ref = cast(Json, op["channel"])["$ref"]
        assert isinstance(channel_ref, str)
        for message in cast(list[Json], op["messages"]):
            assert str(message["$ref"]).startswith(f"{channel_ref}/messages/"), name
