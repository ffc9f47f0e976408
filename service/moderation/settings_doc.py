"""The README's configuration table, generated from :class:`~moderation.settings.Settings`.

``python -m moderation.settings_doc`` prints it; ``--check README.md`` fails when the README's
table (between the ``settings:start``/``settings:end`` markers) no longer matches the code.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from moderation.settings import Settings

START = "<!-- settings:start -->"
END = "<!-- settings:end -->"


def _variable(prefix: str, name: str, info: FieldInfo) -> str:
    alias = info.validation_alias
    choices = getattr(alias, "choices", None)
    if choices:
        return str(choices[0])
    return f"{prefix}{name.upper()}"


def _default(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(str(item.value if isinstance(item, Enum) else item) for item in value)
    if isinstance(value, Enum):
        return str(value.value)
    if value is None:
        return "(unset)"
    return str(value)


def rows(model: type[BaseModel] = Settings, prefix: str = "MODERATION_") -> Iterator[str]:
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from rows(annotation, f"{prefix}{name.upper()}__")
            continue
        text = (info.description or "").replace("|", "\\|")
        yield f"| `{_variable(prefix, name, info)}` | `{_default(info.default)}` | {text} |"


def table() -> str:
    header = "| variable | default | meaning |\n|---|---|---|"
    return "\n".join([header, *rows()])


def _section(text: str) -> str:
    start, end = text.index(START) + len(START), text.index(END)
    return text[start:end].strip()


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--check":
        readme = Path(argv[1]).read_text(encoding="utf-8")
        if _section(readme) != table():
            print(f"{argv[1]}: configuration table is stale; run make docs", file=sys.stderr)
            return 1
        return 0
    if len(argv) == 2 and argv[0] == "--write":
        path = Path(argv[1])
        readme = path.read_text(encoding="utf-8")
        start, end = readme.index(START) + len(START), readme.index(END)
        path.write_text(readme[:start] + "\n" + table() + "\n" + readme[end:], encoding="utf-8")
        return 0
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
