"""Known model ids, their class (haiku/sonnet/opus) and the limits the simulator enforces."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from moderation_dev.simulator.errors import NotFound

ModelClass = Literal["haiku", "sonnet", "opus"]
MODEL_CLASSES: tuple[ModelClass, ...] = ("haiku", "sonnet", "opus")


@dataclass(frozen=True)
class ModelInfo:
    """What the simulator needs to know about one model id."""

    model_id: str
    model_class: ModelClass
    max_output_tokens: int
    context_window: int
    cache_min_tokens: int
    # Newer tokenizers spend more tokens on the same text.
    token_factor: float = 1.0


def _info(
    model_id: str, cls: ModelClass, max_out: int, cache_min: int, factor: float = 1.0
) -> ModelInfo:
    return ModelInfo(model_id, cls, max_out, 200_000, cache_min, factor)


_KNOWN: dict[str, ModelInfo] = {
    info.model_id: info
    for info in (
        _info("claude-haiku-4-5", "haiku", 64_000, 4_096),
        _info("claude-haiku-4-5-20251001", "haiku", 64_000, 4_096),
        _info("claude-sonnet-4-5", "sonnet", 64_000, 1_024),
        _info("claude-sonnet-4-5-20250929", "sonnet", 64_000, 1_024),
        _info("claude-sonnet-4-6", "sonnet", 64_000, 1_024),
        _info("claude-opus-4-5", "opus", 64_000, 4_096),
        _info("claude-opus-4-5-20251101", "opus", 64_000, 4_096),
        _info("claude-opus-4-6", "opus", 128_000, 4_096),
        _info("claude-haiku-5-5", "haiku", 64_000, 4_096, 1.3),
        _info("claude-sonnet-5-5", "sonnet", 128_000, 2_048, 1.3),
        _info("claude-opus-5-5", "opus", 128_000, 4_096, 1.3),
    )
}

# Ids shaped like a real Claude model of a known class (new releases, dated snapshots).
_PLAUSIBLE = re.compile(r"^claude-(haiku|sonnet|opus)-\d+(-\d+)?(-\d{8})?$")
_FAMILY_DEFAULTS: dict[ModelClass, tuple[int, int]] = {
    "haiku": (64_000, 4_096),
    "sonnet": (64_000, 1_024),
    "opus": (128_000, 4_096),
}


def model_class_of(model_id: str) -> ModelClass | None:
    """The class named in a model id, or None."""
    lowered = model_id.lower()
    for cls in MODEL_CLASSES:
        if cls in lowered:
            return cls
    return None


def resolve_model(model_id: str) -> ModelInfo:
    """The model's limits; raises NotFound (404) for ids the real API would not know."""
    known = _KNOWN.get(model_id)
    if known is not None:
        return known
    match = _PLAUSIBLE.match(model_id)
    if match is None:
        raise NotFound(f"model: {model_id}")
    cls = model_class_of(model_id)
    assert cls is not None  # the pattern names a class
    max_out, cache_min = _FAMILY_DEFAULTS[cls]
    return ModelInfo(model_id, cls, max_out, 200_000, cache_min)


def listed_models() -> list[dict[str, str]]:
    """The ``GET /v1/models`` entries: every known id, newest family first."""
    return [
        {
            "type": "model",
            "id": info.model_id,
            "display_name": info.model_id.replace("-", " ").title(),
            "created_at": "2025-10-01T00:00:00Z",
        }
        for info in sorted(_KNOWN.values(), key=lambda i: i.model_id, reverse=True)
    ]
