"""Any client may send many or long headers; the dead letter still fits its contract."""

from __future__ import annotations

from moderation.settings import TopicNames
from moderation.stages.deadletters import dead_letter
from moderation.streaming.records import Inbound
from moderation_contracts import DeadLetter, parse_payload
from moderation_contracts.limits import MAX_HEADER_KEY_CHARS, MAX_HEADERS


def test_too_many_and_too_long_headers_are_cut_not_fatal() -> None:
    headers = tuple((f"h{index}" * 100, b"v") for index in range(MAX_HEADERS + 5))
    inbound = Inbound("in", 0, 7, b"k", b"not json", headers)
    letter = parse_payload(DeadLetter, dead_letter(inbound, TopicNames(), "triage", "x", "m").value)
    assert len(letter.headers) == MAX_HEADERS
    assert all(len(header.key) <= MAX_HEADER_KEY_CHARS for header in letter.headers)
    assert letter.original_value() == b"not json"
