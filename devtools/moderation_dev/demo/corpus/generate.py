"""Write samples.jsonl from the templates: ``python -m moderation_dev.demo.corpus.generate``.

Run it after changing templates.py and commit both; a unit test fails while they disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from moderation_dev.demo.corpus import SAMPLES
from moderation_dev.demo.corpus.templates import CorpusRecord, build_records


def render(records: list[CorpusRecord]) -> str:
    """The file's text: one compact JSON record per line, non-ASCII kept readable."""
    lines = [json.dumps(record, ensure_ascii=False, separators=(",", ":")) for record in records]
    return "\n".join(lines) + "\n"


def main(target: Path = SAMPLES) -> int:
    records = build_records()
    target.write_text(render(records), encoding="utf-8")
    print(f"wrote {len(records)} records to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
