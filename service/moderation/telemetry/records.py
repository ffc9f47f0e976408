"""The JSON-lines form of a finished span, shared by the file exporter and the waterfall."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TypeAlias, TypedDict

from opentelemetry.sdk.trace import ReadableSpan

JsonAttribute: TypeAlias = (
    "str | bool | int | float | list[JsonAttribute] | dict[str, JsonAttribute] | None"
)


class StatusRecord(TypedDict):
    code: str
    description: str | None


class SpanRecord(TypedDict):
    """One line of the trace file."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str
    start_ns: int
    end_ns: int
    attributes: dict[str, JsonAttribute]
    status: StatusRecord
    service: str | None


def span_record(span: ReadableSpan) -> SpanRecord:
    """The record of a finished SDK span (ids as lower-case hex, as in ``traceparent``)."""
    context = span.context
    if context is None:
        raise ValueError("span has no context")
    parent = span.parent
    attributes = {key: _json_value(value) for key, value in (span.attributes or {}).items()}
    service = span.resource.attributes.get("service.name")
    return SpanRecord(
        trace_id=f"{context.trace_id:032x}",
        span_id=f"{context.span_id:016x}",
        parent_span_id=f"{parent.span_id:016x}" if parent is not None else None,
        name=span.name,
        kind=span.kind.name,
        start_ns=span.start_time or 0,
        end_ns=span.end_time or 0,
        attributes=attributes,
        status=StatusRecord(code=span.status.status_code.name, description=span.status.description),
        service=str(service) if service is not None else None,
    )


def _json_value(value: object) -> JsonAttribute:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, Sequence | set | frozenset):
        return [_json_value(v) for v in value]
    return str(value)


def dump_line(record: SpanRecord) -> bytes:
    """One compact JSON line, newline-terminated."""
    return (json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n").encode("utf-8")


def read_records(path: Path) -> Iterator[SpanRecord]:
    """Records of a trace file; lines that are not span records are skipped."""
    with path.open("r", encoding="utf-8") as lines:
        for line in lines:
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(data, dict) and _looks_like_record(data):
                yield data  # type: ignore[misc]


def _looks_like_record(data: dict[str, object]) -> bool:
    return (
        isinstance(data.get("trace_id"), str)
        and isinstance(data.get("span_id"), str)
        and isinstance(data.get("name"), str)
        and isinstance(data.get("start_ns"), int)
        and isinstance(data.get("end_ns"), int)
        and isinstance(data.get("attributes"), dict)
    )
