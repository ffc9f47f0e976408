"""Builds the AsyncAPI 3.0 document for every topic from ``topics.TOPICS``.

The document references the generated JSON Schema files instead of inlining them, so there is
one copy of each contract. ``schemagen`` writes it to contracts/asyncapi.yaml.
"""

from __future__ import annotations

from typing import Final

from moderation_contracts.common import SCHEMA_VERSION
from moderation_contracts.limits import ID_PATTERN
from moderation_contracts.topics import TOPICS, Party, TopicSpec

ASYNCAPI_VERSION: Final = "3.0.0"
KAFKA_BINDING_VERSION: Final = "0.5.0"
STAGES: Final = (Party.TRIAGE, Party.REVIEW, Party.FINALIZE)
"""The service's own stages; operations are described from their point of view."""

TRACEPARENT_PATTERN: Final = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"

JsonDoc = dict[str, object]


def _summary(spec: TopicSpec) -> str:
    doc = spec.payload.__doc__ or spec.payload.__name__
    return doc.strip().splitlines()[0]


def _message(spec: TopicSpec) -> JsonDoc:
    return {
        "name": spec.payload.__name__,
        "title": spec.payload.schema_name,
        "summary": _summary(spec),
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "description": "Kafka headers; W3C trace context propagates the item's trace.",
            "properties": {
                "traceparent": {"type": "string", "pattern": TRACEPARENT_PATTERN},
                "tracestate": {"type": "string"},
            },
        },
        "payload": {"$ref": f"./schemas/{spec.schema_file}"},
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "pattern": ID_PATTERN,
                    "description": f"The payload's {spec.message_key}, UTF-8.",
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _channel(spec: TopicSpec) -> JsonDoc:
    name = spec.payload.__name__
    return {
        "address": spec.name,
        "title": spec.key,
        "description": (
            f"{spec.description} Key: {spec.message_key}. "
            f"Produced by {', '.join(spec.producers)}; consumed by {', '.join(spec.consumers)}. "
            "The address is the default; every topic name is a setting."
        ),
        "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        "bindings": {
            "kafka": {
                "topicConfiguration": {"max.message.bytes": spec.max_message_bytes},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "x-producers": [str(p) for p in spec.producers],
        "x-consumers": [str(p) for p in spec.consumers],
    }


def _operations() -> JsonDoc:
    operations: JsonDoc = {}
    for spec in TOPICS:
        message_ref = {"$ref": f"#/channels/{spec.key}/messages/{spec.payload.__name__}"}
        for action, parties in (("receive", spec.consumers), ("send", spec.producers)):
            for stage in (p for p in STAGES if p in parties):
                operations[f"{stage}_{action}_{spec.key}"] = {
                    "action": action,
                    "channel": {"$ref": f"#/channels/{spec.key}"},
                    "summary": f"The {stage} stage {action}s {spec.payload.__name__} messages.",
                    "messages": [message_ref],
                    "x-stage": str(stage),
                }
    return operations


def build_asyncapi() -> JsonDoc:
    """The AsyncAPI document as plain data, in a stable order."""
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Content moderation service",
            "version": SCHEMA_VERSION,
            "description": (
                "Kafka contract of the streaming content-moderation service: upstream services "
                "publish requests and read decisions; reviewers' tools read human-review tasks "
                "and publish human decisions. Every message is JSON keyed by content_id. "
                "See contracts/README.md."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "localhost:9092",
                "protocol": "kafka",
                "description": "Single-node broker for development; set KAFKA_BOOTSTRAP_SERVERS.",
            }
        },
        "channels": {spec.key: _channel(spec) for spec in TOPICS},
        "operations": _operations(),
        "components": {"messages": {spec.payload.__name__: _message(spec) for spec in TOPICS}},
    }
