"""The processes a chaos soak starts and breaks: its own broker, and the workers.

The broker is the project's devkafka launcher on free loopback ports (never a shared cluster:
the soak restarts it). Workers are ``moderation worker`` processes configured only through
their environment; nothing here watches ``/livez`` to restart them (a stall must stay visible).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from loadtest import processes
from moderation_dev.devkafka import (
    BrokerSpec,
    ensure_runtime,
    free_port,
    restart_broker,
    start_broker,
    stop_broker,
)

T = TypeVar("T")


def now_ms() -> int:
    return int(time.time() * 1000)


async def uninterruptible(func: Callable[..., T], *args: Any) -> T:
    """Run ``func`` in a thread; when cancelled meanwhile, let it finish first (a half-started
    or half-restarted broker could not be stopped), then pass the cancellation on."""
    job = asyncio.ensure_future(asyncio.to_thread(func, *args))
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await job
        raise


@dataclass
class OwnBroker:
    """A single-node KRaft broker this soak starts, restarts and stops."""

    state_dir: Path
    spec: BrokerSpec = field(init=False)

    def __post_init__(self) -> None:
        self.spec = BrokerSpec(
            port=free_port(), controller_port=free_port(), state_dir=self.state_dir
        )

    @property
    def bootstrap(self) -> str:
        return self.spec.bootstrap

    def start(self) -> None:
        runtime, _ = ensure_runtime(quiet=True)
        start_broker(runtime, self.spec, timeout=120)

    def restart(self, down_s: float) -> tuple[int, int]:
        """Stop (data kept), stay down ``down_s``, start again; returns (stopped, back) ms."""
        runtime, _ = ensure_runtime(quiet=True)
        stopped = now_ms()
        restart_broker(runtime, self.spec, down_s=down_s, timeout=120)
        return stopped, now_ms()

    def stop(self) -> None:
        stop_broker(self.spec)


@dataclass
class WorkerProcess:
    """One ``moderation worker``; ``start`` again after ``kill`` is a restart of the same pod."""

    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = processes.spawn(processes.WORKER_ARGV, self.log, self.env)

    def wait_ready(self, timeout_s: float) -> None:
        processes.wait_http(f"http://127.0.0.1:{self.port}/readyz", timeout_s, self.process)

    def kill(self) -> None:
        """SIGKILL: no drain, no commit, no goodbye to the group."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def report_state(self) -> None:
        """Ask the worker to log its intake state and task stacks (SIGUSR1) to its log."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGUSR1)

    def stop(self) -> None:
        """SIGTERM (graceful drain), then SIGKILL after a bound."""
        if self.process is not None:
            processes.stop(self.process, timeout=45)

    def livez_failing(self) -> bool:
        """The liveness check answers 503 (an orchestrator would restart the worker now)."""
        try:
            url = f"http://127.0.0.1:{self.port}/livez"
            with urllib.request.urlopen(url, timeout=2):
                return False
        except urllib.error.HTTPError as error:
            return error.code == 503
        except OSError:
            return False
