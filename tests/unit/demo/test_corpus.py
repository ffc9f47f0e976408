from __future__ import annotations

import json
import struct
import zlib
from collections import Counter
from datetime import UTC, datetime

import pytest

from moderation_contracts import ContractError, ModerationRequest, parse_payload
from moderation_contracts.limits import MAX_TEXT_CHARS
from moderation_dev.demo.corpus import (
    SAMPLES,
    CorpusError,
    is_declared_invalid,
    item_from,
    load_corpus,
    read_records,
    record_value,
    subset,
)
from moderation_dev.demo.corpus.generate import render
from moderation_dev.demo.corpus.templates import CorpusRecord, build_records, tiny_png
from moderation_dev.demo.routes import GUARANTEED


def test_the_committed_file_matches_the_templates() -> None:
    assert SAMPLES.read_text(encoding="utf-8") == render(build_records()), (
        "run: python -m moderation_dev.demo.corpus.generate"
    )


def test_every_valid_record_parses_and_every_invalid_one_does_not() -> None:
    records = read_records()
    valid = [r for r in records if not is_declared_invalid(r)]
    invalid = [r for r in records if is_declared_invalid(r)]
    assert len(valid) >= 250
    assert len(invalid) >= 5
    for record in valid:
        request = parse_payload(ModerationRequest, record_value(record))
        assert request.content_id == record["id"]
    for record in invalid:
        with pytest.raises(ContractError):
            parse_payload(ModerationRequest, record_value(record))


def test_ids_are_unique_and_scripted_texts_differ() -> None:
    items = load_corpus()
    assert len({i.content_id for i in items}) == len(items)
    scripted = [i.request.text for i in items if i.request and i.expect is not None]
    assert len(set(scripted)) == len(scripted)


def test_the_corpus_is_varied() -> None:
    items = load_corpus()
    groups = Counter(i.kind.partition(":")[0] for i in items)
    assert {"benign", "borderline", "harmful", "multilingual", "prompt-injection", "image"} <= set(
        groups
    )
    categories = {i.kind.partition(":")[2] for i in items if i.kind.startswith("harmful:")}
    assert len(categories) >= 12
    locales = {i.request.locale for i in items if i.request and i.request.locale}
    assert len(locales) >= 10
    attachments = [a for i in items if i.request for a in i.request.attachments]
    assert any(a.data for a in attachments)
    assert any(a.url for a in attachments)
    invalid_kinds = {i.kind for i in items if not i.valid}
    assert {"invalid:json", "invalid:missing-field", "invalid:oversize"} <= invalid_kinds


def test_every_guaranteed_route_is_scripted_and_markers_are_sparing() -> None:
    items = load_corpus()
    expected = Counter(i.expect for i in items if i.expect is not None)
    assert set(GUARANTEED) <= set(expected)
    markers = [i for i in items if i.request and "[[sim:" in (i.request.text or "")]
    assert 0 < len(markers) <= len(items) // 10
    assert all(i.expect is not None for i in markers)


def test_message_stamps_the_publish_time_on_valid_items_only() -> None:
    items = load_corpus()
    now = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    good = next(i for i in items if i.valid)
    assert parse_payload(ModerationRequest, good.message(now)).submitted_at == now
    bad = next(i for i in items if not i.valid)
    assert bad.message(now) == bad.value


def test_oversize_records_are_padded_past_the_text_limit() -> None:
    record = CorpusRecord(
        id="x",
        kind="invalid:oversize",
        expect=None,
        payload={"text": "ab"},
        oversize_to=MAX_TEXT_CHARS + 1,
    )
    assert len(json.loads(record_value(record))["text"]) == MAX_TEXT_CHARS + 1


def test_a_broken_valid_record_is_refused() -> None:
    record = CorpusRecord(id="x", kind="benign", expect=None, payload={"content_id": "x"})
    with pytest.raises(CorpusError, match="should be valid"):
        item_from(record)
    with pytest.raises(CorpusError, match="unknown route"):
        item_from(CorpusRecord(id="y", kind="invalid:json", expect="nowhere", raw="{"))


def test_subset_keeps_the_scripted_items_and_mixes_the_rest() -> None:
    items = load_corpus()
    chosen = subset(items, 40)
    assert len(chosen) == 40
    assert {i.content_id for i in items if i.expect is not None} <= {i.content_id for i in chosen}
    groups = {i.kind.partition(":")[0] for i in chosen if i.expect is None}
    assert len(groups) >= 5
    order = [i.content_id for i in items]
    assert [order.index(i.content_id) for i in chosen] == sorted(
        order.index(i.content_id) for i in chosen
    )
    assert len(subset(items, 10_000)) == len(items)


def test_tiny_png_is_a_well_formed_png() -> None:
    data = tiny_png(10, 20, 30, size=3)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    length, kind = struct.unpack(">I4s", data[8:16])
    width, height = struct.unpack(">II", data[16:24])
    assert (length, kind, width, height) == (13, b"IHDR", 3, 3)
    idat_start = data.index(b"IDAT") + 4
    (idat_length,) = struct.unpack(">I", data[idat_start - 8 : idat_start - 4])
    pixels = zlib.decompress(data[idat_start : idat_start + idat_length])
    assert pixels == (b"\x00" + bytes((10, 20, 30)) * 3) * 3
