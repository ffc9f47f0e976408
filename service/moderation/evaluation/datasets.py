"""Labelled datasets: the project's JSONL and OpenAI's moderation-eval format. No network I/O.

Every item carries a label per policy category: ``True`` (violates), ``False`` (does not) or
``None`` (unknown; masked out of that category's figures).

Project format, one JSON object a line::

    {"id": "hate-en-01", "text": "...", "expected": ["hate"], "kind": "hate",
     "locale": "en", "tenant_id": "eval", "attachments": [{"url": "https://..."}],
     "unknown": ["spam"]}

``expected`` lists the violated categories (empty = benign); every other policy category is a
negative unless named in ``unknown``. OpenAI format (github.com/openai/moderation-api-release)::

    {"prompt": "...", "S": 0, "H": 1, "V": 0, "HR": 0, "SH": 0, "S3": 0, "H2": 0, "V2": 0}

Its keys map onto policy categories (``OPENAI_CATEGORIES``); a missing key, and every policy
category the format has no key for, is unknown.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from moderation.errors import PermanentError
from moderation_contracts import ModerationRequest

OPENAI_CATEGORIES: Final[dict[str, str]] = {
    "S": "sexual",
    "H": "hate",
    "V": "violence",
    "HR": "harassment",
    "SH": "self-harm",
    "S3": "sexual/minors",
    "H2": "hate/threatening",
    "V2": "violence/graphic",
}
EVAL_TENANT: Final = "eval"
SUBMITTED_AT: Final = datetime(2026, 1, 1, tzinfo=UTC)
BUNDLED: Final = Path(__file__).parent / "bundled" / "labelled.jsonl"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class DatasetError(PermanentError):
    """A dataset line that cannot be read; names the file and line."""


class DatasetFormat(StrEnum):
    AUTO = "auto"
    PROJECT = "project"
    OPENAI = "openai"


@dataclass(frozen=True)
class EvalItem:
    item_id: str
    request: ModerationRequest
    labels: Mapping[str, bool | None]
    kind: str = ""
    tags: tuple[str, ...] = field(default=())

    @property
    def flagged(self) -> bool | None:
        """Violates anything: True if any label is, False if all are known clean, else None."""
        values = list(self.labels.values())
        if any(values):
            return True
        return None if any(value is None for value in values) else False

    @property
    def fingerprint(self) -> str:
        """Hash of what the models see and of the labels, to key cached answers."""
        body = self.request.model_dump_json(include={"text", "attachments", "locale", "context"})
        return hashlib.sha256(f"{self.item_id}\x1f{body}".encode()).hexdigest()[:24]


def _request(where: str, item_id: str, data: Mapping[str, Any]) -> ModerationRequest:
    fields = {k: data[k] for k in ("text", "attachments", "locale", "context") if k in data}
    try:
        return ModerationRequest(
            content_id=item_id,
            tenant_id=data.get("tenant_id", EVAL_TENANT),
            submitted_at=SUBMITTED_AT,
            **fields,
        )
    except ValidationError as error:
        first = error.errors()[0]
        place = ".".join(str(part) for part in first["loc"])
        raise DatasetError(f"{where}: {place}: {first['msg']}") from None


def _names(where: str, value: object, key: str, categories: Sequence[str]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DatasetError(f"{where}: '{key}' must be a list of category names")
    unknown = sorted(set(value) - set(categories))
    if unknown:
        raise DatasetError(f"{where}: '{key}' names categories the policy lacks: {unknown}")
    return list(value)


def project_item(where: str, data: Mapping[str, Any], categories: Sequence[str]) -> EvalItem:
    item_id = data.get("id")
    if not isinstance(item_id, str) or not _ID.match(item_id):
        raise DatasetError(f"{where}: 'id' must be an identifier (letters, digits, ._:-)")
    if "expected" not in data:
        raise DatasetError(f"{where}: 'expected' (list of violated categories) is missing")
    expected = set(_names(where, data["expected"], "expected", categories))
    unknown = set(_names(where, data.get("unknown", []), "unknown", categories))
    labels = {c: None if c in unknown else c in expected for c in categories}
    kind = str(data.get("kind", ""))
    tags = tuple(str(tag) for tag in data.get("tags", ()))
    return EvalItem(item_id, _request(where, item_id, data), labels, kind, tags)


def openai_item(
    where: str, index: int, data: Mapping[str, Any], categories: Sequence[str]
) -> EvalItem:
    prompt = data.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise DatasetError(f"{where}: 'prompt' must be non-empty text")
    labels: dict[str, bool | None] = dict.fromkeys(categories)
    for key, category in OPENAI_CATEGORIES.items():
        if key not in data or data[key] is None or category not in labels:
            continue
        value = data[key]
        if value not in (0, 1):
            raise DatasetError(f"{where}: '{key}' must be 0 or 1")
        labels[category] = bool(value)
    item_id = f"openai-{index:05d}"
    request = _request(where, item_id, {"text": prompt})
    return EvalItem(item_id, request, labels, "openai")


def detect(data: Mapping[str, Any]) -> DatasetFormat:
    if "prompt" in data and "expected" not in data:
        return DatasetFormat.OPENAI
    return DatasetFormat.PROJECT


def parse_lines(
    lines: Iterable[str],
    categories: Sequence[str],
    *,
    source: str = "<dataset>",
    fmt: DatasetFormat = DatasetFormat.AUTO,
) -> list[EvalItem]:
    """Items from JSONL text; blank lines and ``#`` comments are skipped; ids must be unique."""
    items: list[EvalItem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{source}:{number}"
        try:
            data = json.loads(line)
        except ValueError as error:
            raise DatasetError(f"{where}: not JSON ({error.args[0]})") from None
        if not isinstance(data, dict):
            raise DatasetError(f"{where}: expected a JSON object")
        chosen = detect(data) if fmt is DatasetFormat.AUTO else fmt
        if chosen is DatasetFormat.OPENAI:
            item = openai_item(where, len(items), data, categories)
        else:
            item = project_item(where, data, categories)
        if item.item_id in seen:
            raise DatasetError(f"{where}: duplicate id {item.item_id!r}")
        seen.add(item.item_id)
        items.append(item)
    if not items:
        raise DatasetError(f"{source}: no items")
    return items


def load(
    path: Path, categories: Sequence[str], fmt: DatasetFormat = DatasetFormat.AUTO
) -> list[EvalItem]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DatasetError(f"cannot read {path}: {error.strerror}") from None
    return parse_lines(text.splitlines(), categories, source=str(path), fmt=fmt)


def to_project_line(item: EvalItem) -> str:
    """One project-format line for ``item`` (used by ``--from-decisions``)."""
    request = item.request
    data: dict[str, Any] = {"id": item.item_id, "tenant_id": request.tenant_id}
    if request.text is not None:
        data["text"] = request.text
    if request.attachments:
        data["attachments"] = [
            a.model_dump(mode="json", exclude_none=True, exclude={"kind"})
            for a in request.attachments
        ]
    if request.locale:
        data["locale"] = request.locale
    data["expected"] = sorted(c for c, v in item.labels.items() if v)
    unknown = sorted(c for c, v in item.labels.items() if v is None)
    if unknown:
        data["unknown"] = unknown
    if item.kind:
        data["kind"] = item.kind
    return json.dumps(data, ensure_ascii=False)
