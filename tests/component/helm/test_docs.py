"""The chart README documents every value that values.yaml defines, and nothing else."""

from __future__ import annotations

import re

import yaml

from tests.component.helm.helm_chart_harness import CHART_DIR

# Values handed to a manifest whole (toYaml), documented as one row.
PASSED_THROUGH = {
    "resources",
    "podSecurityContext",
    "securityContext",
    "updateStrategy",
    "behavior",
    "policy",
}


def _value_keys(node: dict[str, object], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in node.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict) and value and key not in PASSED_THROUGH:
            keys |= _value_keys(value, full + ".")
        else:
            keys.add(full)
    return keys


def test_readme_values_table_matches_values_yaml() -> None:
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text(encoding="utf-8"))
    readme = (CHART_DIR / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([^`]+)` \|", readme, flags=re.MULTILINE))
    expected = _value_keys(values)
    assert expected - documented == set(), "undocumented values"
    assert documented - expected == set(), "README documents values that do not exist"


def test_schema_knows_every_top_level_value() -> None:
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text(encoding="utf-8"))
    schema = yaml.safe_load((CHART_DIR / "values.schema.json").read_text(encoding="utf-8"))
    assert schema["additionalProperties"] is False
    assert set(values) <= set(schema["properties"])
    assert set(schema["required"]) <= set(values)
