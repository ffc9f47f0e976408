"""Child processes of the demo (simulated API, worker) and the environment they run with.

Children start in their own session, so a Ctrl-C in the terminal reaches only the demo, which
then stops them in order: SIGTERM, a bounded wait, SIGKILL as the last resort.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from moderation.errors import ModerationError
from moderation.settings import TopicNames
from moderation_dev.devkafka import free_port

SIM_API_KEY = "demo-simulated-key"
"""Any key works for the simulated API; this one is used when ANTHROPIC_API_KEY is unset."""

_TOPIC_FIELDS = tuple(TopicNames.model_fields)


class DemoError(ModerationError):
    """The demo could not start or keep running one of its parts."""


def uses_real_api(env: Mapping[str, str]) -> bool:
    """The real Anthropic API only with a key and no base URL; the simulator otherwise."""
    return (
        bool(env.get("ANTHROPIC_API_KEY", "").strip())
        and not env.get("ANTHROPIC_BASE_URL", "").strip()
    )


def demo_topics(suffix: str) -> TopicNames:
    """The default topic names with a per-run suffix, so runs never see each other's messages."""
    defaults = TopicNames()
    return TopicNames(
        **{name: f"{getattr(defaults, name)}.demo-{suffix}" for name in _TOPIC_FIELDS}
    )


def worker_env(
    base: Mapping[str, str],
    *,
    bootstrap: str,
    topics: TopicNames,
    app_id: str,
    trace_file: Path,
    data_dir: Path,
    partitions: int,
    anthropic_base_url: str | None,
) -> dict[str, str]:
    """The worker's environment: the caller's, plus this run's topics, group, files and API."""
    env = dict(base)
    env.update(
        {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "MODERATION_APP_ID": app_id,
            "MODERATION_TRACE_FILE": str(trace_file),
            "MODERATION_DATA_DIR": str(data_dir),
            "MODERATION_TOPIC_PARTITIONS": str(partitions),
            "MODERATION_SHUTDOWN_TIMEOUT_S": "10",
            "OTEL_TRACES_EXPORTER": "none",
            "OTEL_METRICS_EXPORTER": "none",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("MODERATION_STAGES", None)
    for name in _TOPIC_FIELDS:
        env[f"MODERATION_TOPICS__{name.upper()}"] = getattr(topics, name)
    if anthropic_base_url is not None:
        env["ANTHROPIC_BASE_URL"] = anthropic_base_url
        env["ANTHROPIC_API_KEY"] = base.get("ANTHROPIC_API_KEY") or SIM_API_KEY
    return env


def moderation_command(*args: str) -> list[str]:
    """``moderation ARGS`` run by this interpreter (no reliance on PATH)."""
    return [sys.executable, "-m", "moderation.cli", *args]


@dataclass
class ChildProcess:
    """A child the demo started, with its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout_s: float = 30.0) -> int:
        """SIGTERM, wait up to ``timeout_s``, then SIGKILL; returns the exit status."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)
            try:
                return self.popen.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.popen.kill()
        return self.popen.wait()

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def start_child(
    name: str, command: list[str], env: Mapping[str, str], log_path: Path
) -> ChildProcess:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=True,
        )
    return ChildProcess(name, popen, log_path)


def wait_for_port(child: ChildProcess, host: str, port: int, timeout_s: float = 30.0) -> None:
    """Return once ``host:port`` accepts connections; DemoError if the child dies or is slow."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not child.alive:
            raise DemoError(
                f"{child.name} exited with status {child.popen.returncode}:\n{child.log_tail()}"
            )
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise DemoError(f"{child.name} did not listen on {host}:{port} within {timeout_s:.0f}s")


async def wait_until_ready(child: ChildProcess, web_port: int, timeout_s: float = 60.0) -> float:
    """Poll the worker's ``/readyz`` until it answers 200; returns the seconds it took."""
    url = f"http://127.0.0.1:{web_port}/readyz"
    started = time.monotonic()
    detail = ""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() - started < timeout_s:
            if not child.alive:
                raise DemoError(
                    f"{child.name} exited with status {child.popen.returncode} while starting; "
                    f"last lines of {child.log_path}:\n{child.log_tail()}"
                )
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(url) as response:
                    if response.status == 200:
                        return time.monotonic() - started
                    with contextlib.suppress(ValueError, aiohttp.ContentTypeError):
                        detail = str((await response.json()).get("detail", ""))
            await asyncio.sleep(0.2)
    why = f" ({detail})" if detail else ""
    raise DemoError(
        f"{child.name} was not ready within {timeout_s:.0f}s{why}; see {child.log_path}"
    )


@contextlib.contextmanager
def simulated_api(run_dir: Path, profile: str = "default") -> Iterator[str]:
    """Run ``moderation dev sim-api`` on a free port; yields its base URL."""
    port = free_port()
    command = moderation_command("dev", "sim-api", "--port", str(port), "--profile", profile)
    child = start_child("simulated API", command, os.environ, run_dir / "demo-sim.log")
    try:
        wait_for_port(child, "127.0.0.1", port)
        yield f"http://127.0.0.1:{port}"
    finally:
        child.stop(timeout_s=10)


@contextlib.contextmanager
def worker_process(env: Mapping[str, str], log_path: Path, web_port: int) -> Iterator[ChildProcess]:
    """Run ``moderation worker`` with all stages, its health pages on loopback ``web_port``;
    on exit SIGTERM lets it drain before it stops."""
    command = moderation_command(
        "worker", "--stages", "triage,review,finalize", "--web-port", str(web_port)
    )
    child = start_child("worker", command, {**env, "MODERATION_WEB_HOST": "127.0.0.1"}, log_path)
    try:
        yield child
    finally:
        child.stop(timeout_s=30)
