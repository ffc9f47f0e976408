"""Writes ``labelled.jsonl``: the small labelled set shipped for tests and ``make eval``.

Every item was written for this project. It covers each policy category in several languages,
clean everyday content, borderline wording that should stay up, prompt-injection attempts (with
and without real harm behind them), a few images, and a handful of items whose label for some
category is deliberately unknown. Run ``python -m moderation.evaluation.bundled.generate`` after
editing; the test suite checks that the file matches.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from moderation.evaluation.bundled.texts import (
    BENIGN_FRAMES,
    BENIGN_TOPICS,
    BORDERLINE,
    HARMFUL,
    IMAGES,
    INJECTIONS,
    MASKED,
)

OUTPUT = Path(__file__).parent / "labelled.jsonl"
_SURFACES = ("comment", "post", "message", "review", "bio")


def _slug(category: str) -> str:
    return category.replace("/", "-")


def items() -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []

    def add(item_id: str, text: str, expected: list[str], kind: str, **extra: Any) -> None:
        tenant = ("eval-forum", "eval-chat", "eval-shop")[len(made) % 3]
        surface = _SURFACES[len(made) % len(_SURFACES)]
        made.append(
            {
                "id": item_id,
                "tenant_id": tenant,
                "text": text,
                "expected": sorted(expected),
                "kind": kind,
                "context": {"surface": surface},
                **extra,
            }
        )

    for category, entries in HARMFUL.items():
        for index, (locale, text, also) in enumerate(entries):
            add(
                f"{_slug(category)}-{index:02d}",
                text,
                [category, *also],
                category,
                locale=locale,
            )
    index = 0
    for locale, frame in BENIGN_FRAMES:
        for topic in BENIGN_TOPICS.get(locale, ()):
            add(f"benign-{index:03d}", frame.format(topic=topic), [], "benign", locale=locale)
            index += 1
    for index, (locale, text, expected) in enumerate(BORDERLINE):
        add(f"borderline-{index:02d}", text, expected, "borderline", locale=locale)
    for index, (text, expected) in enumerate(INJECTIONS):
        add(f"injection-{index:02d}", text, expected, "injection", locale="en")
    for index, (url, caption, expected) in enumerate(IMAGES):
        add(
            f"image-{index:02d}",
            caption,
            expected,
            "image",
            attachments=[{"url": url}],
            locale="en",
        )
    for index, (text, expected, unknown) in enumerate(MASKED):
        add(f"masked-{index:02d}", text, expected, "masked", unknown=unknown, locale="en")
    return made


def render() -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items())


def main() -> int:
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {len(items())} items to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
