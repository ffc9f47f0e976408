"""Deep merge for policy overrides: mappings merge key by key, anything else replaces."""

from __future__ import annotations

import copy
from collections.abc import Mapping


def deep_merge(base: Mapping[str, object], override: Mapping[str, object]) -> dict[str, object]:
    """A new dict: ``base`` with ``override`` merged over it; neither input is modified.

    Nested mappings merge recursively; lists, scalars and null replace the base value whole.
    """
    result: dict[str, object] = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = result.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            result[key] = deep_merge(current, value)
        else:
            result[key] = copy.deepcopy(value)
    return result
