"""The policy book: the default policy plus per-tenant overrides, loaded from YAML.

File format (every key optional)::

    version: "2026.11"            # any Policy field replaces or deep-merges over the default
    categories:
      spam: {flag_at: medium}
    require_known_tenants: false  # true: unlisted tenants raise UnknownTenant
    tenants:
      acme:                       # tenant id
        version: "3"              # required: the tenant gets "<default version>:acme.3"
        fail_mode: open
        categories:
          harassment: {flag_min_confidence: 0.3}

Tenant overrides deep-merge over the effective default (packaged default plus the file's own
top-level fields) and never see each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Final, cast

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from moderation.policy.errors import PolicyError, UnknownTenant
from moderation.policy.merge import deep_merge
from moderation.policy.models import Policy
from moderation_contracts import Identifier

DEFAULT_RESOURCE: Final = "default.yaml"
TENANT_VERSION_SEPARATOR: Final = ":"
"""Joins the default version and the tenant override: ``2026.11:acme.3``.

The contracts' ``Identifier`` (which ``Verdict.policy_version`` uses) does not allow ``+``.
"""

_BOOK_KEYS: Final = frozenset({"tenants", "require_known_tenants"})


class PolicyBook(BaseModel):
    """Every policy the service applies, looked up by tenant."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: Policy
    tenants: dict[Identifier, Policy] = {}
    require_known_tenants: bool = False

    def for_tenant(self, tenant_id: str) -> Policy:
        """The tenant's policy, or the default; raises UnknownTenant when tenants must be known."""
        policy = self.tenants.get(tenant_id)
        if policy is not None:
            return policy
        if self.require_known_tenants:
            raise UnknownTenant(tenant_id)
        return self.default

    @classmethod
    def load(cls, path: Path | None = None) -> PolicyBook:
        """The packaged default for None; otherwise the file merged over the packaged default."""
        base = _packaged_default_data()
        if path is None:
            return cls(default=_validate(base, source=_packaged_name(), where=""))
        return cls.from_mapping(_read_yaml(path), source=str(path))

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], *, source: str = "<policy>") -> PolicyBook:
        """Build a book from already-parsed file content (``source`` names it in errors)."""
        tenants_raw = data.get("tenants", {})
        if tenants_raw is None:
            tenants_raw = {}
        if not isinstance(tenants_raw, Mapping):
            raise PolicyError(f"{source}: tenants: must be a mapping of tenant id to overrides")
        require = data.get("require_known_tenants", False)
        if not isinstance(require, bool):
            raise PolicyError(f"{source}: require_known_tenants: must be true or false")
        own = {k: v for k, v in data.items() if k not in _BOOK_KEYS}
        default_data = deep_merge(_packaged_default_data(), _stringify_version(own))
        default = _validate(default_data, source=source, where="")
        base = default.model_dump(mode="json")
        tenants: dict[str, Policy] = {}
        for tenant_id, override in cast(Mapping[object, object], tenants_raw).items():
            where = f"tenants.{tenant_id}"
            tenants[_tenant_id(tenant_id, source, where)] = _tenant_policy(
                base, default.version, str(tenant_id), override, source=source, where=where
            )
        return cls(default=default, tenants=tenants, require_known_tenants=require)


def _packaged_name() -> str:
    return f"moderation.policy/{DEFAULT_RESOURCE}"


@cache
def _packaged_default_text() -> str:
    return resources.files("moderation.policy").joinpath(DEFAULT_RESOURCE).read_text("utf-8")


def _packaged_default_data() -> dict[str, object]:
    data = _parse_yaml(_packaged_default_text(), _packaged_name())
    return dict(data)


def _read_yaml(path: Path) -> Mapping[str, object]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: policy file is not UTF-8 text") from exc
    return _parse_yaml(text, str(path))


def _parse_yaml(text: str, source: str) -> Mapping[str, object]:
    try:
        data: object = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PolicyError(f"{source}: invalid YAML{where}") from exc
    if data is None:
        return {}
    if not isinstance(data, Mapping) or not all(isinstance(k, str) for k in data):
        raise PolicyError(f"{source}: the top level must be a mapping with string keys")
    return cast(Mapping[str, object], data)


def _stringify_version(data: Mapping[str, object]) -> dict[str, object]:
    """YAML reads ``version: 3`` as an int; a version is text."""
    result = dict(data)
    version = result.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        result["version"] = str(version)
    return result


def _tenant_id(value: object, source: str, where: str) -> str:
    if not isinstance(value, str):
        raise PolicyError(f"{source}: {where}: tenant ids must be strings")
    try:
        return _TenantKey(tenant_id=value).tenant_id
    except ValidationError as exc:
        raise PolicyError(f"{source}: {where}: invalid tenant id: {_first_message(exc)}") from None


class _TenantKey(BaseModel):
    tenant_id: Identifier


def _tenant_policy(
    base: Mapping[str, object],
    default_version: str,
    tenant_id: str,
    override: object,
    *,
    source: str,
    where: str,
) -> Policy:
    if not isinstance(override, Mapping) or not all(isinstance(k, str) for k in override):
        raise PolicyError(f"{source}: {where}: must be a mapping of policy fields")
    fields = _stringify_version(cast(Mapping[str, object], override))
    if "policy_id" in fields:
        raise PolicyError(f"{source}: {where}.policy_id: tenants keep the default policy_id")
    version = fields.pop("version", None)
    if not isinstance(version, str) or not version:
        raise PolicyError(
            f"{source}: {where}.version: required (text), so verdicts record the override"
        )
    merged = deep_merge(base, fields)
    merged["version"] = f"{default_version}{TENANT_VERSION_SEPARATOR}{tenant_id}.{version}"
    return _validate(merged, source=source, where=where)


def _validate(data: Mapping[str, object], *, source: str, where: str) -> Policy:
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            loc = ".".join(str(part) for part in error["loc"])
            field = ".".join(p for p in (where, loc) if p) or "(policy)"
            problems.append(f"{field}: {error['msg']}")
        raise PolicyError(f"{source}: " + "; ".join(problems)) from None


def _first_message(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    return str(errors[0]["msg"]) if errors else str(exc)
