"""The boundary: every bad input becomes one ContractError with an actionable message."""

from __future__ import annotations

import json
import pickle
import random

import pytest

from moderation_contracts import (
    SCHEMA_VERSION,
    ContractError,
    DeadLetter,
    Decision,
    HumanDecision,
    ModerationRequest,
    dump_payload,
    parse_payload,
)
from moderation_contracts import examples as ex
from moderation_contracts.limits import (
    MAX_ATTACHMENT_B64_CHARS,
    MAX_ATTACHMENTS,
    MAX_JSON_DEPTH,
    MAX_MESSAGE_BYTES,
    MAX_TEXT_CHARS,
)
from moderation_contracts.validation import json_depth

GOOD: dict[str, object] = json.loads(dump_payload(ex.request()))


def body(**changes: object) -> bytes:
    """The example request with fields replaced (or removed when the value is ...)."""
    data = {k: v for k, v in GOOD.items() if changes.get(k) is not ...}
    data.update({k: v for k, v in changes.items() if v is not ...})
    return json.dumps(data).encode()


def image(size: int) -> dict[str, str]:
    return {"kind": "image", "data": "A" * size, "media_type": "image/png"}


BAD_INPUTS: list[tuple[str, bytes | str, str, str]] = [
    ("empty", b"", "invalid_json", "Expecting value"),
    ("not json", b"{content_id: 1}", "invalid_json", "line 1 column 2"),
    ("truncated", dump_payload(ex.request())[:-5], "invalid_json", "line 1"),
    ("trailing garbage", dump_payload(ex.request()) + b"x", "invalid_json", "Extra data"),
    ("NaN", body(text=None).replace(b"null", b"NaN", 1), "invalid_json", "NaN"),
    ("duplicate key", b'{"content_id":"a","content_id":"b"}', "invalid_json", "duplicate key"),
    ("huge int", b'{"content_id":' + b"9" * 5000 + b"}", "invalid_json", "digits"),
    ("lone surrogate", body(text="\ud800").replace(b"\\\\", b"\\"), "invalid_json", "surrogate"),
    ("bom", b"\xef\xbb\xbf" + dump_payload(ex.request()), "invalid_json", "byte order mark"),
    (
        "invalid utf-8",
        body(text="caf\u00e9").replace(b"\\u00e9", b"\xe9"),
        "invalid_utf8",
        "offset",
    ),
    ("array", b"[1, 2]", "not_an_object", "got an array"),
    ("string", b'"hello"', "not_an_object", "got a str"),
    ("null", b"null", "not_an_object", "NoneType"),
    ("deep", b"[" * 100_000 + b"]" * 100_000, "too_deep", f"limit is {MAX_JSON_DEPTH}"),
    ("deep in unknown field", body(extra=json.loads("[" * 40 + "]" * 40)), "too_deep", "41 levels"),
    (
        "one level too deep",
        body(extra=json.loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)),
        "too_deep",
        f"{MAX_JSON_DEPTH + 1} levels",
    ),
    ("too large", b" " * (MAX_MESSAGE_BYTES + 1), "too_large", "limit is 1048576"),
    ("major 2", body(schema_version="2.0"), "unsupported_version", "reads 1.x"),
    ("bad version", body(schema_version="v1"), "unsupported_version", "major.minor"),
    ("numeric version", body(schema_version=1.0), "unsupported_version", "must be a string"),
    ("missing content_id", body(content_id=...), "schema_mismatch", "content_id: required field"),
    ("missing submitted_at", body(submitted_at=...), "schema_mismatch", "submitted_at: required"),
    ("int id", body(content_id=123), "schema_mismatch", "content_id: Input should be a valid str"),
    (
        "string list",
        body(attachments="x"),
        "schema_mismatch",
        "attachments: Input should be a valid",
    ),
    ("bool as text", body(text=True), "schema_mismatch", "text: Input should be a valid string"),
    ("naive time", body(submitted_at="2026-11-02T09:30:00"), "schema_mismatch", "timezone"),
    ("epoch time", body(submitted_at=1700000000), "schema_mismatch", "submitted_at"),
    ("no content", body(text=..., attachments=[]), "schema_mismatch", "needs text, attachments"),
    ("oversize text", body(text="x" * (MAX_TEXT_CHARS + 1)), "schema_mismatch", "at most 32768"),
    (
        "NUL in text",
        body(text="ab\u0000c"),
        "schema_mismatch",
        "NUL character (U+0000) at position 2",
    ),
    ("NUL in id", body(content_id="c\u00001"), "schema_mismatch", "U+0000 at position 1"),
    ("newline in id", body(tenant_id="acme\n"), "schema_mismatch", "tenant_id: control character"),
    ("space in id", body(author_id="u 42"), "schema_mismatch", "author_id: String should match"),
    ("long id", body(content_id="c" * 200), "schema_mismatch", "content_id"),
    (
        "too many attachments",
        body(attachments=[image(8)] * (MAX_ATTACHMENTS + 1)),
        "schema_mismatch",
        "attachments: List should have at most 4 items",
    ),
    (
        "oversize attachment",
        body(attachments=[image(MAX_ATTACHMENT_B64_CHARS + 4)]),
        "schema_mismatch",
        "attachments[0].data: String should have at most 524288",
    ),
    ("bad locale", body(locale="english please"), "schema_mismatch", "locale"),
    ("bad context", body(context={"parent_id": "p 1"}), "schema_mismatch", "context.parent_id"),
]


@pytest.mark.parametrize(
    ("raw", "code", "fragment"), [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS]
)
def test_contracts_bad_input_yields_contract_error(raw: bytes, code: str, fragment: str) -> None:
    with pytest.raises(ContractError) as caught:
        parse_payload(ModerationRequest, raw)
    err = caught.value
    assert (err.schema, err.version, err.code) == ("moderation-request", SCHEMA_VERSION, code)
    assert fragment in str(err)
    assert str(err).startswith(f"moderation-request v{SCHEMA_VERSION} [{code}]: ")
    assert isinstance(err, ValueError)


def test_contracts_error_messages_do_not_echo_content() -> None:
    secret = "my-private-diary-entry"
    raw = body(text=secret * 2000, author_id=f"{secret} x")
    with pytest.raises(ContractError) as caught:
        parse_payload(ModerationRequest, raw)
    assert secret not in str(caught.value)
    assert "text:" in str(caught.value)
    assert "author_id:" in str(caught.value)


def test_contracts_many_errors_are_summarised() -> None:
    raw = b'{"content_id": 1, "tenant_id": 2, "author_id": 3, "locale": 4, "text": 5, "context": 6}'
    with pytest.raises(ContractError, match=r"and \d+ more") as caught:
        parse_payload(ModerationRequest, raw)
    assert caught.value.code == "schema_mismatch"


def test_contracts_str_input_is_accepted_and_size_checked() -> None:
    parsed = parse_payload(ModerationRequest, dump_payload(ex.request()).decode())
    assert parsed == ex.request()
    with pytest.raises(ContractError, match="larger than"):
        parse_payload(ModerationRequest, "é" * (MAX_MESSAGE_BYTES // 2 + 1))


def test_contracts_limit_follows_the_payload_type() -> None:
    big = ex.dead_letter().model_copy(update={"original_value_b64": "A" * (2 * MAX_MESSAGE_BYTES)})
    raw = dump_payload(big)
    assert len(raw) > MAX_MESSAGE_BYTES
    assert parse_payload(DeadLetter, raw) == big
    with pytest.raises(ContractError, match="too_large"):
        parse_payload(HumanDecision, b" " * (MAX_MESSAGE_BYTES + 1))


def test_contracts_dump_refuses_oversize_payloads() -> None:
    letter = ex.dead_letter().model_copy(
        update={"original_value_b64": "A" * (5 * MAX_MESSAGE_BYTES)}
    )
    with pytest.raises(ContractError) as caught:
        dump_payload(letter)
    assert (caught.value.schema, caught.value.code) == ("dead-letter", "too_large")


def test_contracts_error_names_the_schema_of_each_topic() -> None:
    with pytest.raises(ContractError) as caught:
        parse_payload(Decision, b"[]")
    assert caught.value.schema == "decision"
    with pytest.raises(ContractError) as caught:
        parse_payload(HumanDecision, b"[]")
    assert caught.value.schema == "human-decision"


def test_contracts_contract_error_pickles() -> None:
    err = ContractError("decision", "1.0", "invalid_json", "oops")
    again = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own object
    assert (again.schema, again.code, str(again)) == ("decision", "invalid_json", str(err))


def test_contracts_json_depth_ignores_brackets_in_strings() -> None:
    assert json_depth('{"a": "[[[[{{{{", "b": [[1]]}') == 3
    assert json_depth('"\\"[["') == 0
    assert json_depth("1") == 0


def test_contracts_mutated_messages_never_escape_as_other_errors() -> None:
    rng = random.Random(4)  # a fixed seed keeps the test deterministic
    seeds = [dump_payload(p) for p in (ex.request(), ex.inline_image_request())]
    outcomes = {"ok": 0, "error": 0}
    codes_seen: set[str] = set()
    for _ in range(300):
        raw = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(raw))
            raw[position] = rng.choice(b'{}[]",:\\\x00\xff0aZ ')
        try:
            parse_payload(ModerationRequest, bytes(raw))
            outcomes["ok"] += 1
        except ContractError as err:
            codes_seen.add(err.code)
            outcomes["error"] += 1
    assert outcomes["error"] > 100
    assert codes_seen <= {
        "invalid_json",
        "invalid_utf8",
        "not_an_object",
        "schema_mismatch",
        "unsupported_version",
        "too_deep",
    }


def test_contracts_many_brackets_in_text_are_not_nesting() -> None:
    # More brackets than the depth limit, all inside a string: the full scan runs and passes.
    request = parse_payload(ModerationRequest, body(text="[{" * MAX_JSON_DEPTH))
    assert request.text == "[{" * MAX_JSON_DEPTH
