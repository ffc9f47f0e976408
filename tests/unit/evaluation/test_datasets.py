"""Reading labelled sets: project JSONL, OpenAI's moderation-eval format, the bundled set."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from moderation.evaluation.bundled import generate
from moderation.evaluation.datasets import (
    BUNDLED,
    DatasetError,
    DatasetFormat,
    EvalItem,
    load,
    parse_lines,
    to_project_line,
)
from moderation.policy import PolicyBook

CATEGORIES = PolicyBook.load().default.category_names()


def one(line: dict[str, object], fmt: DatasetFormat = DatasetFormat.AUTO) -> EvalItem:
    (item,) = parse_lines([json.dumps(line)], CATEGORIES, fmt=fmt)
    return item


def test_project_line_labels_every_category() -> None:
    item = one({"id": "a-1", "text": "hi", "expected": ["hate"], "unknown": ["spam"]})
    assert item.labels["hate"] is True
    assert item.labels["spam"] is None
    assert item.labels["violence"] is False
    assert set(item.labels) == set(CATEGORIES)
    assert item.flagged is True
    assert item.request.tenant_id == "eval"
    assert item.request.content_id == "a-1"


def test_benign_with_an_unknown_category_has_an_unknown_overall_label() -> None:
    assert one({"id": "b", "text": "hi", "expected": []}).flagged is False
    assert one({"id": "b", "text": "hi", "expected": [], "unknown": ["spam"]}).flagged is None


def test_project_line_with_an_image_attachment() -> None:
    item = one(
        {
            "id": "img-1",
            "attachments": [{"url": "https://example.org/a.png"}],
            "expected": ["violence/graphic"],
            "tenant_id": "shop",
        }
    )
    assert item.request.text is None
    assert item.request.attachments[0].url == "https://example.org/a.png"
    assert item.request.tenant_id == "shop"
    assert json.loads(to_project_line(item))["attachments"] == [
        {"url": "https://example.org/a.png"}
    ]


def test_openai_format_maps_keys_and_masks_missing_ones() -> None:
    item = one({"prompt": "some text", "S": 0, "H": 1, "V2": 0})
    assert item.labels["hate"] is True
    assert item.labels["sexual"] is False
    assert item.labels["violence/graphic"] is False
    assert item.labels["violence"] is None  # V missing: unknown
    assert item.labels["spam"] is None  # the format has no key for it
    assert item.labels["harassment"] is None
    assert item.item_id == "openai-00000"
    assert item.flagged is True
    clean = one({"prompt": "x", "S": 0})
    assert clean.flagged is None  # every other category is unknown


def test_openai_format_can_be_forced_and_validates_values() -> None:
    with pytest.raises(DatasetError, match=r"<dataset>:1: 'H' must be 0 or 1"):
        one({"prompt": "x", "H": 2})
    with pytest.raises(DatasetError, match="'prompt' must be non-empty"):
        one({"id": "x", "expected": []}, DatasetFormat.OPENAI)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"id": "a b", "text": "x", "expected": []}', "'id' must be an identifier"),
        ('{"id": "a", "text": "x"}', "'expected'"),
        ('{"id": "a", "text": "x", "expected": ["gore"]}', "categories the policy lacks"),
        ('{"id": "a", "text": "x", "expected": "hate"}', "must be a list"),
        ('{"id": "a", "expected": []}', "text"),
    ],
)
def test_bad_lines_name_file_and_line(line: str, problem: str) -> None:
    with pytest.raises(DatasetError, match=r"data\.jsonl:2: ") as error:
        parse_lines(["# comment", line], CATEGORIES, source="data.jsonl")
    assert problem in str(error.value)


def test_duplicate_ids_and_empty_sets_are_refused() -> None:
    line = '{"id": "a", "text": "x", "expected": []}'
    with pytest.raises(DatasetError, match="duplicate id 'a'"):
        parse_lines([line, line], CATEGORIES)
    with pytest.raises(DatasetError, match="no items"):
        parse_lines(["", "# nothing"], CATEGORIES)


def test_bundled_set_covers_what_the_issue_asks_for() -> None:
    items = load(BUNDLED, CATEGORIES)
    assert 250 <= len(items) <= 400
    positives = Counter(c for item in items for c, v in item.labels.items() if v)
    assert set(positives) == set(CATEGORIES)  # every category has positives
    kinds = Counter(item.kind for item in items)
    assert kinds["benign"] >= 80
    assert kinds["borderline"] >= 20
    assert kinds["injection"] >= 10
    assert 3 <= kinds["image"] <= 12
    assert any(item.flagged is None for item in items)  # some masked labels
    locales = {item.request.locale for item in items}
    assert {"en", "es", "fr", "de", "pt"} <= locales
    injections = [item for item in items if item.kind == "injection"]
    assert {item.flagged for item in injections} == {True, False}


def test_bundled_file_matches_its_generator() -> None:
    assert BUNDLED.read_text(encoding="utf-8") == generate.render()
