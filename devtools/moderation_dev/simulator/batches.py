"""The Message Batches API: an in-memory store with a realistic lifecycle.

A batch is ``in_progress`` for the configured delay, then ``ended`` with one result per
request (computed when it ends, in a shuffled order). Cancelling moves it to ``canceling``
and it ends with the unprocessed requests ``canceled``.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from moderation_dev.simulator.errors import InvalidRequest, NotFound
from moderation_dev.simulator.request import JsonDict

MAX_REQUESTS = 100_000
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
DEFAULT_PAGE = 20
MAX_PAGE = 1000

# Runs one batch item: params -> a result object ({"type": "succeeded", "message": ...} etc.).
ItemRunner = Callable[[object], JsonDict]


@dataclass
class Batch:
    """One batch and, once it ended, its results."""

    batch_id: str
    created: datetime
    ends_at: float  # monotonic time when processing ends
    requests: list[tuple[str, object]]
    cancel_initiated: datetime | None = None
    ended: datetime | None = None
    results: list[JsonDict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if self.ended is None:
            counts["processing"] = len(self.requests)
            return counts
        for line in self.results:
            kind = str(_as_dict(line.get("result")).get("type"))
            counts[kind] = counts.get(kind, 0) + 1
        return counts


def _as_dict(value: object) -> JsonDict:
    return value if isinstance(value, dict) else {}


def _rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_requests(body: object) -> list[tuple[str, object]]:
    """Validate a create body: custom_id shape and uniqueness, params present, size limits."""
    if not isinstance(body, dict) or "requests" not in body:
        raise InvalidRequest("requests: Field required")
    raw = body["requests"]
    if not isinstance(raw, list) or not raw:
        raise InvalidRequest("requests: Input should be a non-empty list")
    if len(raw) > MAX_REQUESTS:
        raise InvalidRequest(f"requests: at most {MAX_REQUESTS} requests per batch")
    seen: set[str] = set()
    parsed: list[tuple[str, object]] = []
    for index, item in enumerate(raw):
        entry = _as_dict(item)
        custom_id = entry.get("custom_id")
        if not isinstance(custom_id, str) or not CUSTOM_ID.match(custom_id):
            raise InvalidRequest(
                f"requests.{index}.custom_id: String should match pattern '{CUSTOM_ID.pattern}'"
            )
        if custom_id in seen:
            raise InvalidRequest(
                f"requests.{index}.custom_id: '{custom_id}' is not unique within the batch"
            )
        seen.add(custom_id)
        if not isinstance(entry.get("params"), dict):
            raise InvalidRequest(f"requests.{index}.params: Field required")
        parsed.append((custom_id, entry["params"]))
    return parsed


class BatchStore:
    """All batches of one simulator run."""

    def __init__(
        self,
        delay_s: float,
        runner: ItemRunner,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._delay_s = delay_s
        self._runner = runner
        self._seed = seed
        self._clock = clock
        self._batches: dict[str, Batch] = {}

    def clear(self) -> None:
        self._batches.clear()

    def create(self, body: object) -> Batch:
        requests = parse_requests(body)
        batch_id = f"msgbatch_01{secrets.token_hex(11)}"
        batch = Batch(batch_id, datetime.now(UTC), self._clock() + self._delay_s, requests)
        self._batches[batch_id] = batch
        return batch

    def get(self, batch_id: str) -> Batch:
        batch = self._batches.get(batch_id)
        if batch is None:
            raise NotFound(f"message_batch: {batch_id} not found")
        self._advance(batch)
        return batch

    def _advance(self, batch: Batch) -> None:
        if batch.ended is not None or self._clock() < batch.ends_at:
            return
        lines: list[JsonDict] = []
        for custom_id, params in batch.requests:
            if batch.cancel_initiated is not None:
                result: JsonDict = {"type": "canceled"}
            else:
                result = self._runner(params)
            lines.append({"custom_id": custom_id, "result": result})
        order = random.Random(f"{self._seed}:{batch.batch_id}")  # noqa: S311  # order, not secrets
        order.shuffle(lines)
        batch.results = lines
        batch.ended = datetime.now(UTC)

    def cancel(self, batch_id: str) -> Batch:
        batch = self.get(batch_id)
        if batch.ended is None and batch.cancel_initiated is None:
            batch.cancel_initiated = datetime.now(UTC)
            batch.ends_at = min(batch.ends_at, self._clock() + self._delay_s / 2)
        return batch

    def delete(self, batch_id: str) -> JsonDict:
        batch = self.get(batch_id)
        if batch.ended is None:
            raise InvalidRequest(
                f"Batch {batch_id} is still being processed; cancel it before deleting it"
            )
        del self._batches[batch_id]
        return {"id": batch_id, "type": "message_batch_deleted"}

    def page(self, after_id: str | None, before_id: str | None, limit: int) -> JsonDict:
        """Newest first, like the real API; ``after_id``/``before_id`` are cursors."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidRequest(f"limit: Input should be between 1 and {MAX_PAGE}")
        ordered = list(reversed(self._batches.values()))
        ids = [b.batch_id for b in ordered]
        start, stop = 0, len(ordered)
        if after_id is not None:
            start = ids.index(after_id) + 1 if after_id in ids else len(ids)
            stop = min(len(ordered), start + limit)
        elif before_id is not None:
            stop = ids.index(before_id) if before_id in ids else 0
            start = max(0, stop - limit)
        else:
            stop = min(len(ordered), limit)
        chosen = ordered[start:stop]
        for batch in chosen:
            self._advance(batch)
        has_more = stop < len(ordered) if before_id is None else start > 0
        return {
            "data": chosen,
            "has_more": has_more,
            "first_id": chosen[0].batch_id if chosen else None,
            "last_id": chosen[-1].batch_id if chosen else None,
        }

    def results_jsonl(self, batch_id: str) -> str:
        batch = self.get(batch_id)
        if batch.ended is None:
            raise InvalidRequest(f"Batch {batch_id} has not ended yet; results are not available")
        return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in batch.results)


def batch_body(batch: Batch, base_url: str) -> JsonDict:
    """The ``message_batch`` object; ``results_url`` is absolute once the batch ended."""
    ended = batch.ended is not None
    if ended:
        status = "ended"
    elif batch.cancel_initiated is not None:
        status = "canceling"
    else:
        status = "in_progress"
    return {
        "id": batch.batch_id,
        "type": "message_batch",
        "processing_status": status,
        "request_counts": batch.counts(),
        "created_at": _rfc3339(batch.created),
        "expires_at": _rfc3339(batch.created + timedelta(hours=24)),
        "ended_at": _rfc3339(batch.ended),
        "cancel_initiated_at": _rfc3339(batch.cancel_initiated),
        "archived_at": None,
        "results_url": f"{base_url}/v1/messages/batches/{batch.batch_id}/results"
        if ended
        else None,
    }
