"""The traffic generator: which items, how big, how many exact duplicates, and when to send.

Pure and seeded: the same options give the same items and schedule, so a run can be repeated
and the baseline gets exactly the items the service got.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from moderation_contracts import ModerationRequest


class Route(StrEnum):
    """Where an item should end; the simulator's content markers make it so."""

    ALLOW = "allow"  # Haiku clears it
    REVIEW_CLEAR = "review_clear"  # Haiku flags, Sonnet clears (final decision by Sonnet)
    HUMAN = "human"  # both flag: a human-review task ends the automated part


MARKERS: Mapping[Route, str] = {
    Route.ALLOW: "",
    Route.REVIEW_CLEAR: "[[sim: haiku=flag:harassment:medium; sonnet=allow]] ",
    Route.HUMAN: "[[sim: all=flag:violence:high]] ",
}

DEFAULT_MIX: Mapping[Route, float] = {
    Route.ALLOW: 0.85,
    Route.REVIEW_CLEAR: 0.10,
    Route.HUMAN: 0.05,
}

# (share, min chars, max chars): mostly short posts and comments, some long ones.
DEFAULT_SIZES: tuple[tuple[float, int, int], ...] = (
    (0.6, 40, 160),
    (0.3, 160, 700),
    (0.1, 700, 3000),
)

# Plain words only: nothing in the simulator's lexicon, so the marker alone decides the route.
_WORDS = [
    "garden",
    "morning",
    "coffee",
    "river",
    "bicycle",
    "weekend",
    "recipe",
    "market",
    "photo",
    "sunset",
    "library",
    "music",
    "travel",
    "mountain",
    "friend",
    "lesson",
    "train",
    "window",
    "summer",
    "autumn",
    "city",
    "bread",
    "tomato",
    "concert",
    "painting",
    "football",
    "match",
    "teacher",
    "holiday",
    "beach",
    "forest",
    "puppy",
    "kitten",
    "castle",
    "museum",
    "update",
    "question",
    "answer",
    "thanks",
    "great",
    "lovely",
    "nice",
    "today",
    "tomorrow",
    "review",
    "product",
    "order",
]


@dataclass(frozen=True)
class TrafficSpec:
    """What to send: how many items, the route mix, the share of exact duplicates, sizes."""

    items: int
    mix: Mapping[Route, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    duplicate_share: float = 0.2
    sizes: tuple[tuple[float, int, int], ...] = DEFAULT_SIZES
    tenant_id: str = "acme"
    seed: int = 7

    def __post_init__(self) -> None:
        if self.items < 1:
            raise ValueError("items must be at least 1")
        if not 0 <= self.duplicate_share < 1:
            raise ValueError("duplicate_share must be within [0, 1)")
        if abs(sum(self.mix.values()) - 1) > 1e-6 or any(v < 0 for v in self.mix.values()):
            raise ValueError("the route mix must be non-negative shares summing to 1")


@dataclass(frozen=True)
class Item:
    request: ModerationRequest
    route: Route
    duplicate_of: str | None = None


def parse_mix(text: str) -> dict[Route, float]:
    """``allow=0.85,review_clear=0.1,human=0.05`` -> shares (normalised to sum to 1)."""
    shares: dict[Route, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        shares[Route(name.strip())] = float(value)
    total = sum(shares.values())
    if total <= 0:
        raise ValueError("the route mix needs a positive share")
    return {route: share / total for route, share in shares.items()}


def _pick(rng: random.Random, weighted: Mapping[Route, float]) -> Route:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _text(rng: random.Random, sizes: tuple[tuple[float, int, int], ...], serial: int) -> str:
    _, low, high = rng.choices(sizes, weights=[s[0] for s in sizes])[0]
    target = rng.randint(low, high)
    words = [f"post{serial}"]
    length = len(words[0])
    while length < target:
        word = rng.choice(_WORDS)
        words.append(word)
        length += len(word) + 1
    return " ".join(words)


def generate(spec: TrafficSpec, run_id: str) -> list[Item]:
    """``spec.items`` items; a duplicate repeats an earlier item's exact text and route."""
    rng = random.Random(spec.seed)
    now = datetime.now(UTC)
    made: list[Item] = []
    for serial in range(spec.items):
        content_id = f"{run_id}-{serial}"
        original = rng.choice(made) if made and rng.random() < spec.duplicate_share else None
        if original is not None:
            route, text = original.route, original.request.text or ""
            source: str | None = original.duplicate_of or original.request.content_id
        else:
            route = _pick(rng, spec.mix)
            text = MARKERS[route] + _text(rng, spec.sizes, serial)
            source = None
        request = ModerationRequest(
            content_id=content_id, tenant_id=spec.tenant_id, text=text, submitted_at=now
        )
        made.append(Item(request, route, source))
    return made
