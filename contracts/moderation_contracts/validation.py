"""The one entry point for reading and writing contract payloads at a topic boundary.

``parse_payload`` checks, in order: size, UTF-8, nesting depth, JSON syntax, that the top level
is an object, the major version, then the model (strict types). Every failure is a
``ContractError`` whose text tells the producer what to fix. Messages never echo field values,
so they are safe to log and to put in dead letters.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Final, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, PydanticSerializationError

from moderation_contracts.common import SCHEMA_MAJOR, SCHEMA_VERSION, Payload
from moderation_contracts.limits import MAX_JSON_DEPTH, MAX_MESSAGE_BYTES

T = TypeVar("T", bound=BaseModel)

_STRINGS: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS: Final = re.compile(r"[^\[\]{}]+")
_STEP: Final = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_VERSION: Final = re.compile(r"^([0-9]+)\.([0-9]+)$")
_MAX_REPORTED_ERRORS: Final = 5


class ContractError(ValueError):
    """A payload broke its contract. ``code`` is a stable token; ``str(err)`` says what to fix.

    Codes: too_large, invalid_utf8, too_deep, invalid_json, not_an_object,
    unsupported_version, schema_mismatch, unprocessable.
    """

    def __init__(self, schema: str, version: str, code: str, message: str) -> None:
        self.schema = schema
        self.version = version
        self.code = code
        self.message = message
        super().__init__(f"{schema} v{version} [{code}]: {message}")

    def __reduce__(self) -> tuple[type[ContractError], tuple[str, str, str, str]]:
        return (type(self), (self.schema, self.version, self.code, self.message))


def schema_name_of(model: type[BaseModel]) -> str:
    """The contract name used in errors and schema files."""
    if issubclass(model, Payload):
        return model.schema_name
    return model.__name__


def json_depth(text: str) -> int:
    """Deepest nesting of arrays and objects, found without recursion (strings are skipped)."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text)).encode("ascii")
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets)), default=0))


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(payload)"


def _describe(error: ErrorDetails) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "required field is missing"
    return f"{_location(error['loc'])}: {message}"


def _summarize(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    parts = [_describe(e) for e in errors[:_MAX_REPORTED_ERRORS]]
    if len(errors) > _MAX_REPORTED_ERRORS:
        parts.append(f"and {len(errors) - _MAX_REPORTED_ERRORS} more")
    return "; ".join(parts)


def _version_problem(obj: dict[str, object]) -> str | None:
    """A message when ``schema_version`` is present but not a readable 1.x version."""
    if "schema_version" not in obj:
        return None
    declared = obj["schema_version"]
    if not isinstance(declared, str):
        return f'schema_version must be a string like "{SCHEMA_VERSION}"'
    match = _VERSION.match(declared)
    if match is None:
        return f'schema_version must look like "{SCHEMA_VERSION}" (major.minor)'
    if int(match.group(1)) != SCHEMA_MAJOR:
        return (
            f"schema_version major {match.group(1)} is not supported here; this topic reads "
            f"{SCHEMA_MAJOR}.x (publish other majors to their own topic)"
        )
    return None


def parse_payload(model: type[T], raw: bytes | str) -> T:
    """Validate one raw message against ``model``; raise ``ContractError`` on any problem."""
    schema = schema_name_of(model)

    def fail(code: str, message: str) -> ContractError:
        return ContractError(schema, SCHEMA_VERSION, code, message)

    limit = model.max_message_bytes if issubclass(model, Payload) else MAX_MESSAGE_BYTES
    try:
        if isinstance(raw, bytes):
            if len(raw) > limit:
                raise fail("too_large", f"message is {len(raw)} bytes; the limit is {limit}")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise fail(
                    "invalid_utf8", f"message is not UTF-8 (bad byte at offset {exc.start})"
                ) from None
        else:
            text = raw
            if len(text) > limit or len(text.encode("utf-8", "surrogatepass")) > limit:
                raise fail("too_large", f"message is larger than {limit} bytes")
        if text.startswith("\ufeff"):
            raise fail("invalid_json", "message starts with a byte order mark; send plain UTF-8")
        # Fewer brackets than the limit cannot nest deeper than it: skip the scan (most payloads).
        if text.count("[") + text.count("{") > MAX_JSON_DEPTH:
            depth = json_depth(text)
            if depth > MAX_JSON_DEPTH:
                raise fail("too_deep", f"JSON nests {depth} levels; the limit is {MAX_JSON_DEPTH}")
        try:
            obj = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            raise fail(
                "invalid_json", f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        except (ValueError, RecursionError) as exc:
            raise fail("invalid_json", str(exc)[:200]) from None
        if not isinstance(obj, dict):
            kind = "an array" if isinstance(obj, list) else f"a {type(obj).__name__}"
            raise fail("not_an_object", f"top level must be a JSON object, got {kind}")
        if issubclass(model, Payload):
            problem = _version_problem(obj)
            if problem is not None:
                raise fail("unsupported_version", problem)
        try:
            return model.model_validate_json(text, strict=True)
        except ValidationError as exc:
            if any(e["type"] == "json_invalid" for e in exc.errors()):
                raise fail("invalid_json", "invalid string escape or surrogate") from None
            raise fail("schema_mismatch", _summarize(exc)) from None
    except ContractError:
        raise
    except Exception as exc:  # a bug must not crash the consumer; the message goes to a DLQ
        raise fail("unprocessable", f"could not validate: {type(exc).__name__}") from exc


def dump_payload(payload: BaseModel) -> bytes:
    """Compact UTF-8 JSON for one payload; ``ContractError`` if it would exceed its topic limit."""
    model = type(payload)
    schema = schema_name_of(model)
    try:
        data = payload.model_dump_json().encode("utf-8")
    except (PydanticSerializationError, UnicodeEncodeError) as exc:
        raise ContractError(schema, SCHEMA_VERSION, "unserializable", str(exc)[:200]) from None
    limit = model.max_message_bytes if issubclass(model, Payload) else MAX_MESSAGE_BYTES
    if len(data) > limit:
        raise ContractError(
            schema, SCHEMA_VERSION, "too_large", f"payload is {len(data)} bytes; limit {limit}"
        )
    return data
