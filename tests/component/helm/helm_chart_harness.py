"""Runs the real helm binary against helm/moderation and parses what it renders.

Helm is found through ``HELM_BIN``, else the cache that ``helm/tools/install-helm.sh`` fills,
else ``PATH``. Nothing here talks to a cluster.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
HELM_DIR = REPO_ROOT / "helm"
CHART_DIR = HELM_DIR / "moderation"
INSTALL_SCRIPT = HELM_DIR / "tools" / "install-helm.sh"
SCENARIOS = sorted(p.name for p in (CHART_DIR / "ci").glob("*.yaml"))
STAGES = ("triage", "review", "finalize", "appeal")
RELEASE = "mod"
NAMESPACE = "trust-safety"
#: The values the chart cannot default, for renders that start from values.yaml alone.
REQUIRED_SETS = (
    "kafka.bootstrapServers=kafka.kafka.svc:9092",
    "anthropic.existingSecret=moderation-anthropic",
)

# A rendered Kubernetes object: parsed YAML of arbitrary shape, so plain JSON-like dicts.
Manifest = dict[str, Any]


class HelmMissingError(AssertionError):
    """No helm binary: the suite fails loudly instead of skipping."""


def pinned_helm_version() -> str:
    """The Helm version install-helm.sh builds (its HELM_VERSION default)."""
    text = INSTALL_SCRIPT.read_text(encoding="utf-8")
    match = re.search(r'HELM_VERSION="\$\{HELM_VERSION:-(v[0-9.]+)\}"', text)
    if match is None:
        raise AssertionError(f"no HELM_VERSION default found in {INSTALL_SCRIPT}")
    return match.group(1)


def cached_helm_path(version: str | None = None) -> Path:
    """Where install-helm.sh puts the binary."""
    cache = os.environ.get("MODERATION_TOOLS_CACHE") or str(
        Path.home() / ".cache" / "moderation" / "tools"
    )
    return Path(cache) / f"helm-{version or pinned_helm_version()}" / "bin" / "helm"


def find_helm() -> Path:
    """HELM_BIN, else the tools cache, else PATH; raises HelmMissingError with the fix."""
    explicit = os.environ.get("HELM_BIN")
    if explicit:
        path = Path(explicit)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise HelmMissingError(f"HELM_BIN={explicit} is not an executable file")
        return path
    cached = cached_helm_path()
    if cached.is_file() and os.access(cached, os.X_OK):
        return cached
    on_path = shutil.which("helm")
    if on_path:
        return Path(on_path)
    raise HelmMissingError(
        "helm is missing: the chart checks need it. Run `bash helm/tools/install-helm.sh` "
        f"(builds helm {pinned_helm_version()} into {cached} with Go), or set HELM_BIN."
    )


@dataclass(frozen=True)
class Rendered:
    """The objects one ``helm template`` produced."""

    objects: tuple[Manifest, ...]

    def of_kind(self, kind: str) -> list[Manifest]:
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind: str, name: str | None = None) -> Manifest:
        found = [o for o in self.of_kind(kind) if name is None or o["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name or ''}, got {len(found)}"
        return found[0]

    def deployments(self) -> dict[str, Manifest]:
        """Deployments keyed by their stage (app.kubernetes.io/component)."""
        return {
            d["metadata"]["labels"]["app.kubernetes.io/component"]: d
            for d in self.of_kind("Deployment")
        }

    def settings(self) -> dict[str, str]:
        """Data of the settings ConfigMap (the environment shared by all stages)."""
        data: dict[str, str] = self.one("ConfigMap", f"{RELEASE}-moderation-settings")["data"]
        return data


def container(deployment: Manifest) -> Manifest:
    """The one worker container of a Deployment."""
    containers: list[Manifest] = deployment["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["worker"]
    return containers[0]


def env_of(deployment: Manifest) -> dict[str, Manifest]:
    """The container's env entries keyed by name (names must be unique)."""
    entries: list[Manifest] = container(deployment).get("env", [])
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names)), f"duplicate env names: {names}"
    return {e["name"]: e for e in entries}


def walk(node: object) -> Iterator[tuple[str, object]]:
    """Every (key, value) pair in a nested structure."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield str(key), value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


class Helm:
    """Thin wrapper over the helm CLI for this chart."""

    def __init__(self, binary: Path) -> None:
        self.binary = binary

    def run(self, *args: str, chart: Path = CHART_DIR) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        return subprocess.run(
            [str(self.binary), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=chart,
            env=env,
        )

    def template_args(
        self,
        values_files: Sequence[str | Path] = (),
        sets: Sequence[str] = (),
        chart: Path = CHART_DIR,
        extra: Sequence[str] = (),
    ) -> list[str]:
        args = ["template", RELEASE, str(chart), "--namespace", NAMESPACE]
        for values in values_files:
            path = Path(values)
            args += ["--values", str(path if path.is_absolute() else CHART_DIR / "ci" / path)]
        for item in sets:
            args += ["--set", item]
        return [*args, *extra]

    def render(
        self,
        values_files: Sequence[str | Path] = (),
        sets: Sequence[str] = (),
        chart: Path = CHART_DIR,
        extra: Sequence[str] = (),
    ) -> Rendered:
        """Render and parse; a failed render fails the test with helm's message."""
        result = self.run(*self.template_args(values_files, sets, chart, extra), chart=chart)
        assert result.returncode == 0, f"helm template failed:\n{result.stderr}"
        objects = tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)
        return Rendered(objects)

    def render_error(
        self, values_files: Sequence[str | Path] = (), sets: Sequence[str] = ()
    ) -> str:
        """Render values that must be refused; returns helm's error text."""
        result = self.run(*self.template_args(values_files, sets))
        assert result.returncode != 0, "helm template accepted values it must refuse"
        return result.stderr
