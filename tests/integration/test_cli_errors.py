"""Every mistake a newcomer makes is one line naming the variable or flag, with the exit status.

Each case runs the real command as a subprocess: no ``Traceback`` on stderr, the variable or
flag the user set appears in what it printed, and the status is 2 for usage or configuration,
1 for a runtime problem (Kafka not reachable).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

NO_KAFKA = "127.0.0.1:1"  # nothing listens on port 1
REPO = Path(__file__).resolve().parents[2]
MODERATION = [sys.executable, "-m", "moderation.cli"]
LOADTEST = [sys.executable, "-m", "loadtest"]


@dataclass(frozen=True)
class Case:
    name: str
    argv: list[str]
    env: dict[str, str]
    status: int
    names: tuple[str, ...]
    needs: tuple[str, ...] = field(default=())


def _cases() -> list[Case]:
    worker = [*MODERATION, "worker", "--web-port", "0"]
    return [
        Case("nested bool", worker, {"MODERATION_VERDICT_CACHE__ENABLED": "maybe"}, 2,
             ("MODERATION_VERDICT_CACHE__ENABLED", "maybe")),
        Case("batch tiers", worker, {"MODERATION_BATCH__TIERS": "bogus"}, 2,
             ("MODERATION_BATCH__TIERS", "bogus")),
        Case("tier setting", worker, {"MODERATION_TRIAGE__MAX_IN_FLIGHT": "0"}, 2,
             ("MODERATION_TRIAGE__MAX_IN_FLIGHT",)),
        Case("otel exporter", worker, {"OTEL_TRACES_EXPORTER": "jaeger"}, 2,
             ("OTEL_TRACES_EXPORTER", "jaeger")),
        Case("data dir", worker, {"MODERATION_DATA_DIR": "/proc/no-such/worker-data"}, 2,
             ("MODERATION_DATA_DIR",)),
        Case("worker kafka down", worker, {}, 1,
             ("KAFKA_BOOTSTRAP_SERVERS", NO_KAFKA, "moderation dev kafka up")),
        Case("web port taken", [*MODERATION, "worker"], {}, 2, ("MODERATION_WEB_PORT",),
             needs=("taken_web_port",)),
        Case("web port flag taken", [*MODERATION, "worker", "--web-port", "{port}"], {}, 2,
             ("--web-port",), needs=("taken_port",)),
        Case("replay kafka down", [*MODERATION, "deadletter", "replay"], {}, 1,
             ("KAFKA_BOOTSTRAP_SERVERS", "moderation dev kafka up")),
        Case("inspect kafka down", [*MODERATION, "deadletter", "inspect"], {}, 1,
             ("KAFKA_BOOTSTRAP_SERVERS",)),
        Case("demo kafka down", [*MODERATION, "demo", "--limit", "2", "--run-dir", "{tmp}"],
             {"ANTHROPIC_BASE_URL": "http://127.0.0.1:1"}, 1, ("KAFKA_BOOTSTRAP_SERVERS",)),
        Case("demo bad variable", [*MODERATION, "demo", "--limit", "2", "--run-dir", "{tmp}"],
             {"MODERATION_VERDICT_CACHE__ENABLED": "maybe"}, 2,
             ("MODERATION_VERDICT_CACHE__ENABLED",)),
        Case("sim port -1", [*MODERATION, "dev", "sim-api", "--port", "-1"], {}, 2, ("--port",)),
        Case("sim port taken", [*MODERATION, "dev", "sim-api", "--port", "{port}"], {}, 2,
             ("--port",), needs=("taken_port",)),
        Case("loadtest items", [*LOADTEST, "backlog", "--items", "0", "--out", "{tmp}"], {}, 2,
             ("--items",)),
        Case("loadtest mix", [*LOADTEST, "backlog", "--mix", "foo=1", "--out", "{tmp}"], {}, 2,
             ("--mix", "foo")),
        Case("loadtest bad worker variable",
             [*LOADTEST, "backlog", "--items", "1", "--no-baseline", "--out", "{tmp}",
              "--env", "MODERATION_VERDICT_CACHE__ENABLED=maybe"],
             {}, 2, ("MODERATION_VERDICT_CACHE__ENABLED",), needs=("kafka",)),
    ]  # fmt: skip


@pytest.fixture
def listening() -> Iterator[socket.socket]:
    """A socket that holds a port, as another program would."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        yield sock


def _web_port_holder() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with contextlib.suppress(OSError):  # taken by another program: the case holds anyway
            sock.bind(("0.0.0.0", 6066))
        sock.listen()
        yield sock


@pytest.mark.integration
@pytest.mark.parametrize("case", _cases(), ids=lambda case: case.name)
def test_mistake_is_one_line(case: Case, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODERATION_", "OTEL_"))}
    env.update(
        KAFKA_BOOTSTRAP_SERVERS=NO_KAFKA,
        ANTHROPIC_API_KEY="sk-test",
        MODERATION_DATA_DIR=str(tmp_path / "data"),
        OTEL_TRACES_EXPORTER="none",
        OTEL_METRICS_EXPORTER="none",
    )
    env.update(case.env)
    argv = [part.replace("{tmp}", str(tmp_path)) for part in case.argv]
    holders = []
    if "taken_port" in case.needs:
        held = request.getfixturevalue("listening")
        argv = [part.replace("{port}", str(held.getsockname()[1])) for part in argv]
    if "taken_web_port" in case.needs:
        holder = _web_port_holder()
        holders.append(holder)
        next(holder)
    if "kafka" in case.needs:
        env["KAFKA_BOOTSTRAP_SERVERS"] = request.getfixturevalue("kafka_bootstrap")
    try:
        done = subprocess.run(
            argv,
            env=env,
            cwd=REPO if argv[:3] == LOADTEST else tmp_path,
            capture_output=True,
            text=True,
            timeout=110,
            check=False,
        )
    finally:
        for holder in holders:
            holder.close()
    said = done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    logged_errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert logged_errors == [], "only our own one line may report the problem"
    for name in case.names:
        assert name in said, said[-3000:]
    assert done.returncode == case.status, said[-3000:]
