"""Loading the packaged default and policy files, tenant overrides and their isolation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import TypeAdapter

from moderation.policy import FailMode, PolicyBook, PolicyError, UnknownTenant, deep_merge
from moderation_contracts import CategoryScore, Identifier, Severity

OPENAI_CATEGORIES = {
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
}

TWO_TENANTS = """
require_known_tenants: false
tenants:
  acme:
    version: 3
    fail_mode: open
    categories:
      harassment: {flag_min_confidence: 0.2}
  globex:
    version: "7"
    categories:
      spam: {flag_at: high}
"""


def book_from(text: str) -> PolicyBook:
    return PolicyBook.from_mapping(yaml.safe_load(text), source="test.yaml")


def test_packaged_default_has_the_full_taxonomy() -> None:
    policy = PolicyBook.load(None).default
    assert set(policy.category_names()) == OPENAI_CATEGORIES | {"spam", "personal_data"}
    for name, rule in policy.categories.items():
        for part in ("Definition:", "In scope:", "Out of scope:", "Borderline:"):
            assert part in rule.description, (name, part)
    assert len(policy.examples) >= 25
    assert policy.fail_mode is FailMode.CLOSED
    assert not policy.sonnet_may_remove


def test_packaged_default_examples_cover_clean_flagged_and_injection() -> None:
    examples = PolicyBook.load(None).default.examples
    assert sum(1 for e in examples if not e.categories) >= 5
    assert sum(1 for e in examples if e.categories) >= 15
    texts = " ".join(e.text.lower() for e in examples)
    assert "ignore all previous instructions" in texts
    assert "</moderated_content>" in texts


def test_unknown_tenants_get_the_default_unless_required() -> None:
    book = book_from(TWO_TENANTS)
    assert book.for_tenant("nobody") is book.default
    strict = book_from(TWO_TENANTS.replace("false", "true"))
    assert strict.for_tenant("acme").fail_mode is FailMode.OPEN
    with pytest.raises(UnknownTenant) as caught:
        strict.for_tenant("nobody")
    assert caught.value.tenant_id == "nobody"
    assert isinstance(caught.value, PolicyError)


def test_tenant_override_deep_merges_over_the_default() -> None:
    book = book_from(TWO_TENANTS)
    acme = book.for_tenant("acme")
    default_rule = book.default.categories["harassment"]
    rule = acme.categories["harassment"]
    assert rule.flag_min_confidence == 0.2
    assert rule.description == default_rule.description  # untouched sibling keys survive
    assert rule.flag_at == default_rule.flag_at
    assert acme.categories.keys() == book.default.categories.keys()
    assert acme.fail_mode is FailMode.OPEN
    assert acme.policy_id == book.default.policy_id
    assert acme.version == f"{book.default.version}:acme.3"
    TypeAdapter(Identifier).validate_python(acme.version)  # fits Verdict.policy_version


def test_tenants_are_isolated() -> None:
    book = book_from(TWO_TENANTS)
    acme, globex, default = book.for_tenant("acme"), book.for_tenant("globex"), book.default
    assert globex.fail_mode is FailMode.CLOSED
    assert globex.categories["harassment"] == default.categories["harassment"]
    assert acme.categories["spam"] == default.categories["spam"]
    assert globex.categories["spam"].flag_at is Severity.HIGH
    assert default.categories["spam"].flag_at is Severity.MEDIUM
    weak = [CategoryScore(category="harassment", severity=Severity.LOW, confidence=0.3)]
    assert acme.is_flagged(weak)
    assert not globex.is_flagged(weak)
    assert not default.is_flagged(weak)
    assert len({acme.fingerprint, globex.fingerprint, default.fingerprint}) == 3
    # Loading overrides never changes the packaged default for later loads.
    assert PolicyBook.load(None).default == default


def test_file_fields_replace_the_packaged_default_and_reach_tenants(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        'version: "2027.1"\nsonnet_may_remove: true\n'
        "categories:\n  spam: {flag_at: low}\n  scams: {description: 'Fraud offers.'}\n"
        + TWO_TENANTS,
        encoding="utf-8",
    )
    book = PolicyBook.load(path)
    assert book.default.version == "2027.1"
    assert book.default.sonnet_may_remove is True
    assert book.default.categories["spam"].flag_at is Severity.LOW
    assert book.default.category_names()[-1] == "scams"
    acme = book.for_tenant("acme")
    assert acme.version == "2027.1:acme.3"
    assert acme.sonnet_may_remove is True
    assert "scams" in acme.categories
    assert book.for_tenant("globex").categories["spam"].flag_at is Severity.HIGH


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("categories:\n  spam: {flag_at: extreme}\n", "categories.spam.flag_at"),
        ("tenants:\n  acme: {fail_mode: open}\n", "tenants.acme.version"),
        ("tenants:\n  acme: {version: '1', policy_id: other}\n", "tenants.acme.policy_id"),
        (
            "tenants:\n  acme: {version: '1', categories: {hate: {flag_min_confidence: 2}}}\n",
            "tenants.acme.categories.hate.flag_min_confidence",
        ),
        ("tenants:\n  acme: {version: '1', colour: blue}\n", "tenants.acme.colour"),
        ("tenants: [acme]\n", "tenants"),
        ("tenants:\n  'bad id': {version: '1'}\n", "tenants.bad id"),
        ("require_known_tenants: maybe\n", "require_known_tenants"),
        ("fail_mode: sideways\n", "fail_mode"),
        ("- just\n- a list\n", "top level"),
    ],
)
def test_bad_files_raise_policy_error_naming_file_and_field(
    tmp_path: Path, text: str, fragment: str
) -> None:
    path = tmp_path / "tenant-policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        PolicyBook.load(path)
    message = str(caught.value)
    assert str(path) in message
    assert fragment in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("version: '1'\ncategories: {spam: [\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"broken\.yaml: invalid YAML at line \d+"):
        PolicyBook.load(path)


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"missing\.yaml"):
        PolicyBook.load(tmp_path / "missing.yaml")


def test_empty_file_means_the_packaged_default(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    assert PolicyBook.load(path).default == PolicyBook.load(None).default


def test_deep_merge_copies_and_replaces_non_mappings() -> None:
    base: dict[str, object] = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    override: dict[str, object] = {"a": {"c": [3]}, "e": {"f": None}}
    merged = deep_merge(base, override)
    assert merged == {"a": {"b": 1, "c": [3]}, "d": 1, "e": {"f": None}}
    inner = merged["a"]
    assert isinstance(inner, dict)
    inner["b"] = 99
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert override == {"a": {"c": [3]}, "e": {"f": None}}


def test_the_shipped_example_file_loads() -> None:
    path = Path(__file__).parents[3] / "service/moderation/policy/tenants.example.yaml"
    book = PolicyBook.load(path)
    kids = book.for_tenant("kids-forum")
    assert kids.sonnet_may_remove is True
    assert kids.categories["harassment"].flag_min_confidence == 0.3
    assert book.for_tenant("internal-wiki").fail_mode is FailMode.OPEN
    assert book.for_tenant("someone-else") is book.default
