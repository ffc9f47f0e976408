"""The runtime wheel holds the service and its contracts, not the development tools."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DEV_PARTS = ("moderation/simulator/", "moderation/demo/", "moderation/devkafka/", "moderation_dev/")


def _build(tmp_path: Path) -> list[str]:
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "wheel", "--no-deps"]
    subprocess.run(
        [*pip, "--no-build-isolation", "--quiet", "-w", str(tmp_path), str(ROOT)],
        check=True,
        timeout=110,
    )
    (wheel,) = tmp_path.glob("moderation-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_the_runtime_wheel_has_no_development_tools(tmp_path: Path) -> None:
    names = _build(tmp_path)
    assert "moderation/worker/app.py" in names
    assert "moderation/cli.py" in names
    assert "moderation/policy/default.yaml" in names  # package data comes along
    assert "moderation_contracts/topics.py" in names
    assert any(name.startswith("moderation/console/templates/") for name in names)
    dev = sorted(name for name in names if name.startswith(DEV_PARTS) or "devpostgres" in name)
    assert dev == []
