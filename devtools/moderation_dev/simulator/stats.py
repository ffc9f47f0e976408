"""Counters behind ``GET /_sim/stats``: what was called, per model and in total."""

from __future__ import annotations

import copy
from typing import TypedDict


class ModelStats(TypedDict):
    """Counters for one model id."""

    requests: int
    succeeded: int
    batch_requests: int
    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int
    cache_creation_input_tokens: int
    cache_hits: int
    refusals: int
    malformed: int
    rate_limited: int
    faults: dict[str, int]  # injected fault kind ("529", "drop", "slow", ...) -> count


class BatchStats(TypedDict):
    created: int
    requests: int
    canceled: int
    deleted: int


class StatsSnapshot(TypedDict):
    """The body of ``GET /_sim/stats``."""

    requests_total: int
    count_tokens_calls: int
    errors: dict[str, int]  # error type answered to clients (validation, auth, 404...)
    models: dict[str, ModelStats]
    batches: BatchStats


def _empty_model() -> ModelStats:
    return ModelStats(
        requests=0,
        succeeded=0,
        batch_requests=0,
        input_tokens=0,
        output_tokens=0,
        cache_read_input_tokens=0,
        cache_creation_input_tokens=0,
        cache_hits=0,
        refusals=0,
        malformed=0,
        rate_limited=0,
        faults={},
    )


def _empty() -> StatsSnapshot:
    return StatsSnapshot(
        requests_total=0,
        count_tokens_calls=0,
        errors={},
        models={},
        batches=BatchStats(created=0, requests=0, canceled=0, deleted=0),
    )


class Stats:
    """Mutable counters; ``snapshot`` returns an independent copy."""

    def __init__(self) -> None:
        self._data = _empty()

    def model(self, model_id: str) -> ModelStats:
        return self._data["models"].setdefault(model_id, _empty_model())

    def request(self, model_id: str, *, batch: bool = False) -> None:
        self._data["requests_total"] += 1
        entry = self.model(model_id)
        entry["requests"] += 1
        if batch:
            entry["batch_requests"] += 1

    def fault(self, model_id: str, kind: str) -> None:
        faults = self.model(model_id)["faults"]
        faults[kind] = faults.get(kind, 0) + 1

    def error(self, error_type: str) -> None:
        errors = self._data["errors"]
        errors[error_type] = errors.get(error_type, 0) + 1

    def count_tokens(self) -> None:
        self._data["count_tokens_calls"] += 1

    @property
    def batches(self) -> BatchStats:
        return self._data["batches"]

    def snapshot(self) -> StatsSnapshot:
        return copy.deepcopy(self._data)

    def clear(self) -> None:
        self._data = _empty()
