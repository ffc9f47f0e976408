"""The README's quick start, run as written on a fresh copy of the repository.

The blocks fenced as ```sh runnable run in order in one bash session (``set -e``: each command
must succeed), in a copy of the repository's tracked files with no ``.run/`` and no earlier
demo, against the test session's Kafka broker (``KAFKA_BOOTSTRAP_SERVERS``, so ``dev kafka up``
starts none). Only what a shared machine needs is changed: the simulator's port is a free one,
and the topics, group and web port are this test's own (through the settings' variables). The
copy links the installed ``.venv`` instead of installing again.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from moderation_dev.devkafka import free_port

ROOT = Path(__file__).resolve().parents[2]
RUNNABLE = re.compile(r"^```sh runnable\n(.*?)^```", flags=re.DOTALL | re.MULTILINE)
SIM_PORT_IN_README = "8765"


def runnable_blocks(readme: str) -> list[str]:
    return RUNNABLE.findall(readme)


def fresh_copy(target: Path) -> Path:
    """The tracked files only (a fresh clone), plus a link to the installed .venv."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


def test_the_readme_marks_its_quick_start_runnable() -> None:
    blocks = runnable_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    commands = "\n".join(blocks)
    assert "dev kafka up" in commands
    assert "moderation worker" in commands
    assert "dev try" in commands


@pytest.mark.integration
@pytest.mark.timeout(200)
def test_the_quick_start_runs_as_written(kafka_bootstrap: str, tmp_path: Path) -> None:
    repo = fresh_copy(tmp_path / "repo")
    assert not (repo / ".run").exists()
    blocks = runnable_blocks((repo / "README.md").read_text(encoding="utf-8"))
    sim_port = str(free_port())
    script = "\n".join(
        [
            "set -euo pipefail",
            *(block.replace(SIM_PORT_IN_README, sim_port) for block in blocks),
            "kill $(jobs -p) 2>/dev/null || true",  # the test's own cleanup
            "wait || true",
        ]
    )
    token = uuid.uuid4().hex[:10]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MODERATION_", "OTEL_", "ANTHROPIC_", "KAFKA_"))
    }
    env |= {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "MODERATION_APP_ID": f"readme-{token}",
        "MODERATION_WEB_PORT": str(free_port()),
        **{
            f"MODERATION_TOPICS__{name.upper()}": f"readme.{name}.{token}"
            for name in ("requests", "review", "human_review", "decisions", "human_decisions",
                         "deadletter")
        },
    }  # fmt: skip
    output = tmp_path / "output.txt"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            ["bash", "-c", script],
            cwd=repo,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            status = process.wait(timeout=180)
        finally:
            # The session's leftovers (background jobs the script could not stop), then bash.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    said = output.read_text(errors="replace")
    assert status == 0, said[-4000:]
    assert "Traceback" not in said, said[-4000:]
    decided = re.search(r"decision for try-\w+: (\w+) by (\w+)", said)
    assert decided is not None, said[-4000:]
    assert decided.groups() == ("allowed", "haiku"), said[-4000:]
