"""The bundled sample corpus: a few hundred varied items, loaded from ``samples.jsonl``.

The file is generated once by ``python -m moderation_dev.demo.corpus.generate`` from the templates
beside it and committed. Valid items are stamped with the publish time when sent; invalid ones
go out byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from moderation.errors import ModerationError
from moderation_contracts import ContractError, ModerationRequest, dump_payload, parse_payload
from moderation_dev.demo.corpus.templates import CorpusRecord
from moderation_dev.demo.routes import DemoRoute

SAMPLES = Path(__file__).with_name("samples.jsonl")


class CorpusError(ModerationError):
    """The corpus file is broken: a line that is not a record, or a 'valid' item that is not."""


@dataclass(frozen=True)
class CorpusItem:
    """One item to publish; ``request`` is None for the deliberately invalid ones."""

    content_id: str
    kind: str
    expect: DemoRoute | None
    value: bytes
    request: ModerationRequest | None

    @property
    def valid(self) -> bool:
        return self.request is not None

    def message(self, now: datetime) -> bytes:
        """The bytes to publish: valid requests carry ``now`` as submitted_at."""
        if self.request is None:
            return self.value
        return dump_payload(self.request.model_copy(update={"submitted_at": now}))


def record_value(record: CorpusRecord) -> bytes:
    """The raw message a record describes (invalid ones exactly as written)."""
    if "raw" in record:
        return record["raw"].encode("utf-8")
    payload = dict(record.get("payload", {}))
    target = record.get("oversize_to")
    if target is not None:
        seed = str(payload.get("text") or "x")
        payload["text"] = (seed * (target // len(seed) + 1))[:target]
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def is_declared_invalid(record: CorpusRecord) -> bool:
    return record["kind"].startswith("invalid")


def item_from(record: CorpusRecord) -> CorpusItem:
    """Build an item; a record declared valid must parse as a ModerationRequest."""
    value = record_value(record)
    request: ModerationRequest | None = None
    if not is_declared_invalid(record):
        try:
            request = parse_payload(ModerationRequest, value)
        except ContractError as error:
            raise CorpusError(f"corpus item {record['id']} should be valid: {error}") from None
    try:
        expect = DemoRoute(record["expect"]) if record["expect"] else None
    except ValueError:
        raise CorpusError(
            f"corpus item {record['id']}: unknown route {record['expect']!r}"
        ) from None
    return CorpusItem(record["id"], record["kind"], expect, value, request)


def read_records(path: Path = SAMPLES) -> list[CorpusRecord]:
    records: list[CorpusRecord] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise CorpusError(f"{path}:{number}: not JSON ({error.msg})") from None
        if not isinstance(data, dict) or not {"id", "kind", "expect"} <= data.keys():
            raise CorpusError(f"{path}:{number}: a record needs id, kind and expect")
        records.append(CorpusRecord(**data))  # type: ignore[typeddict-item]
    return records


def load_corpus(path: Path = SAMPLES) -> list[CorpusItem]:
    """Every item of the corpus file, in publishing order."""
    return [item_from(record) for record in read_records(path)]


def subset(items: Sequence[CorpusItem], size: int) -> list[CorpusItem]:
    """At most ``size`` items, keeping every scripted or invalid one (they guarantee the routes)
    and filling up with the others round-robin by kind group; corpus order is kept."""
    keep = {item.content_id for item in items if item.expect is not None}
    by_kind: dict[str, list[CorpusItem]] = {}
    for item in items:
        if item.content_id not in keep:
            by_kind.setdefault(item.kind.partition(":")[0], []).append(item)
    queues = list(by_kind.values())
    while len(keep) < size and any(queues):
        for queue in queues:
            if queue and len(keep) < size:
                keep.add(queue.pop(0).content_id)
    return [item for item in items if item.content_id in keep]
