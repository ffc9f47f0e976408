"""The container image definition, the helm installer script and the chart's NOTES."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.component.helm.helm_chart_harness import (
    CHART_DIR,
    HELM_DIR,
    INSTALL_SCRIPT,
    REPO_ROOT,
    REQUIRED_SETS,
    Helm,
    pinned_helm_version,
)

DOCKERFILE = HELM_DIR / "image" / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """Dockerfile instructions as (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    result = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def test_image_is_multi_stage_on_a_pinned_base() -> None:
    instructions = _instructions()
    base = next(rest for kw, rest in instructions if kw == "ARG" and rest.startswith("PYTHON_"))
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", base)
    stages = [rest for kw, rest in instructions if kw == "FROM"]
    assert stages == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE} AS runtime"]


def test_image_installs_with_the_constraints_and_runs_as_non_root() -> None:
    instructions = _instructions()
    runs = [rest for kw, rest in instructions if kw == "RUN"]
    assert any("pip install --constraint constraints.txt ." in run for run in runs)
    copies = [rest for kw, rest in instructions if kw == "COPY"]
    assert any("constraints.txt" in c for c in copies)
    # Only the runtime package: the development tools (devtools/) never enter the image.
    assert not any("devtools" in c for c in copies + runs)
    assert any(c.startswith("--from=build ") for c in copies)
    users = [rest for kw, rest in instructions if kw == "USER"]
    assert users == ["${APP_UID}:${APP_GID}"]
    args = dict(rest.split("=", 1) for kw, rest in instructions if kw == "ARG" and "=" in rest)
    assert int(args["APP_UID"]) >= 10000
    assert args["APP_UID"] == str(
        yaml.safe_load((CHART_DIR / "values.yaml").read_text())["securityContext"]["runAsUser"]
    )


def test_image_entrypoint_is_the_projects_console_script() -> None:
    instructions = _instructions()
    assert ("ENTRYPOINT", '["moderation"]') in instructions
    assert ("EXPOSE", "6066") in instructions
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "moderation" in pyproject["project"]["scripts"]


def test_dockerignore_keeps_only_what_the_image_installs() -> None:
    patterns = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert patterns[patterns.index("**")] == "**"
    kept = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    copied = {"pyproject.toml", "constraints.txt", "README.md", "service", "contracts"}
    assert kept == copied


def _run_installer(cache: Path) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash is not None
    # A PATH without Go: the script must not need it when helm is already cached.
    env = {"HOME": str(cache), "PATH": "/usr/bin:/bin", "MODERATION_TOOLS_CACHE": str(cache)}
    return subprocess.run(
        [bash, str(INSTALL_SCRIPT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )


def test_installer_reuses_a_cached_helm_and_prints_its_path(tmp_path: Path) -> None:
    binary = tmp_path / f"helm-{pinned_helm_version()}" / "bin" / "helm"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\necho v-fake\n", encoding="utf-8")
    binary.chmod(0o755)
    result = _run_installer(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{binary}\n"


def test_installer_reports_missing_go_instead_of_using_a_broken_binary(tmp_path: Path) -> None:
    binary = tmp_path / f"helm-{pinned_helm_version()}" / "bin" / "helm"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
    binary.chmod(0o755)
    result = _run_installer(tmp_path)
    assert result.returncode != 0
    assert result.stdout == ""
    assert "go is not on PATH" in result.stderr


def test_installer_pins_an_exact_helm_v3_release() -> None:
    assert re.fullmatch(r"v3\.\d+\.\d+", pinned_helm_version())
    text = INSTALL_SCRIPT.read_text(encoding="utf-8")
    assert 'go install -trimpath -ldflags "${LDFLAGS}" "${MODULE}/cmd/helm@${HELM_VERSION}"' in text
    assert "GOTOOLCHAIN=local" in text


def test_helm_in_use_is_version_3(helm: Helm) -> None:
    result = helm.run("version", "--short")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("v3."), result.stdout
    if not os.environ.get("HELM_BIN") and helm.binary.parts[-3].startswith("helm-"):
        assert result.stdout.startswith(pinned_helm_version())


@pytest.fixture
def notes_chart(tmp_path: Path) -> Path:
    """A copy of the chart whose extra template renders NOTES.txt into a YAML string.

    `helm template` never prints NOTES and `helm install --dry-run` wants a cluster, so the
    copy evaluates the very same NOTES.txt through `tpl`.
    """
    chart = tmp_path / "moderation"
    shutil.copytree(CHART_DIR, chart)
    shutil.copy(chart / "templates" / "NOTES.txt", chart / "notes-under-test.tpl")
    (chart / "templates" / "notes-under-test.yaml").write_text(
        'notes: {{ tpl (.Files.Get "notes-under-test.tpl") . | toJson }}\n', encoding="utf-8"
    )
    return chart


def _notes(helm: Helm, chart: Path, sets: list[str]) -> str:
    rendered = helm.render(
        sets=[*REQUIRED_SETS, *sets],
        chart=chart,
        extra=["--show-only", "templates/notes-under-test.yaml"],
    )
    notes: str = rendered.objects[0]["notes"]
    return notes


def test_notes_list_stages_and_warn_about_idle_replicas(helm: Helm, notes_chart: Path) -> None:
    quiet = _notes(helm, notes_chart, [])
    assert "group moderation-triage, reads moderation.requests.v1, 2 replica(s)" in quiet
    assert "WARNING" not in quiet
    assert "sit idle" in quiet
    noisy = _notes(
        helm,
        notes_chart,
        ["stages.triage.replicaCount=20", "stages.review.autoscaling.keda.enabled=true"],
    )
    assert "WARNING: up to 20 replicas but only 12 partitions" in noisy
    assert "review: deployment/mod-moderation-review" in noisy
    assert "KEDA 1..12 replicas" in noisy
