"""The processes a run starts: the simulated API, the worker, the baseline loop.

Each is a child process in its own session, stopped (SIGTERM, then SIGKILL) when its context
ends, so a run leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moderation.settings import TopicNames
from moderation_dev.devkafka import free_port

API_KEY = "sk-loadtest-not-a-real-key"


class ChildFailed(RuntimeError):
    """A child process the run needs exited early; the message carries its own error line."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def last_error_line(log: Path) -> str:
    """The child's own ``error: ...`` line (or its last line) from its log."""
    try:
        lines = [line.strip() for line in log.read_text(errors="replace").splitlines()]
    except OSError:
        return ""
    errors = [line for line in lines if line.startswith("error:")]
    return (errors or [line for line in lines if line] or [""])[-1]


def wait_http(
    url: str,
    timeout: float,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            reason = last_error_line(log) if log is not None else ""
            where = f" (log: {log})" if log is not None else ""
            raise ChildFailed(
                f"{reason or 'a child process exited early'}{where}", int(process.returncode)
            )
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (Linux /proc; 0.0 where unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def stop(process: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    """SIGTERM, wait, then SIGKILL; returns the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return int(process.returncode)


def spawn(
    argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a child in its own session, its output appended to ``log``."""
    with log.open("ab") as sink:
        return subprocess.Popen(
            list(argv),
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )


@contextmanager
def child(
    argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    process = spawn(argv, log, env)
    try:
        yield process
    finally:
        stop(process)


@dataclass(frozen=True)
class SimApi:
    base_url: str

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base_url}/_sim/stats", timeout=5) as answer:  # noqa: S310
            data: dict[str, Any] = json.loads(answer.read())
            return data

    def reset(self) -> None:
        url = f"{self.base_url}/_sim/reset"
        post = urllib.request.Request(url, data=b"", method="POST")  # noqa: S310 - loopback
        with urllib.request.urlopen(post, timeout=5):  # noqa: S310 - loopback
            return


@contextmanager
def sim_api(
    latency_ms: float,
    batch_delay_s: float,
    workdir: Path,
    class_latency_ms: Mapping[str, float] | None = None,
    profile: str = "instant",
) -> Iterator[SimApi]:
    """The simulator with a fixed model latency for every model class (0 = the profile's);
    ``class_latency_ms`` overrides it per class (e.g. a slow ``opus`` candidate)."""
    port = free_port()
    argv = [sys.executable, "-m", "moderation.cli", "dev", "sim-api", "--port", str(port)]
    argv += ["--profile", profile, "--batch-delay", str(batch_delay_s)]
    latencies = {cls: latency_ms for cls in ("haiku", "sonnet", "opus")}
    latencies |= dict(class_latency_ms or {})
    if any(value > 0 for value in latencies.values()):
        for cls, value in latencies.items():
            argv += [f"--{cls}-latency-ms", str(value)]
        argv += ["--latency-sigma", "0"]
    with child(argv, workdir / "sim-api.log") as process:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/_sim/stats", 30, process)
        yield SimApi(url)


@dataclass(frozen=True)
class RunningWorker:
    """A worker process and the port of its /metrics page."""

    process: subprocess.Popen[bytes]
    web_port: int
    #: CPU seconds the process had used when it first answered /readyz (its start-up).
    cpu_at_ready: float = 0.0

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def worker(
    bootstrap: str,
    sim_url: str,
    topics: TopicNames,
    app_id: str,
    partitions: int,
    workdir: Path,
    extra_env: Mapping[str, str],
    trace_file: Path | None,
    index: int = 0,
) -> Iterator[RunningWorker]:
    """One ``moderation worker`` running every stage, ready when its /readyz answers."""
    port = free_port()
    env = worker_env(
        bootstrap, sim_url, topics, app_id, partitions, port, workdir / f"worker-data-{index}"
    )
    env |= {**({"MODERATION_TRACE_FILE": str(trace_file)} if trace_file else {}), **extra_env}
    log = workdir / f"worker-{index}.log"
    with child(WORKER_ARGV, log, env) as process:
        wait_http(f"http://127.0.0.1:{port}/readyz", 90, process, log)
        yield RunningWorker(process, port, cpu_seconds(process.pid))


WORKER_ARGV = (sys.executable, "-m", "moderation.cli", "worker")


def worker_env(
    bootstrap: str,
    sim_url: str,
    topics: TopicNames,
    app_id: str,
    partitions: int,
    port: int,
    data_dir: Path,
) -> dict[str, str]:
    """A worker's environment: this process's minus any MODERATION_/OTEL_ setting, plus the
    run's broker, simulator, topics, group, web port and data folder."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MODERATION_", "OTEL_"))},
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "ANTHROPIC_API_KEY": API_KEY,
        "ANTHROPIC_BASE_URL": sim_url,
        "MODERATION_APP_ID": app_id,
        "MODERATION_WEB_PORT": str(port),
        "MODERATION_WEB_HOST": "127.0.0.1",
        "MODERATION_DATA_DIR": str(data_dir),
        "MODERATION_TOPIC_PARTITIONS": str(partitions),
        "MODERATION_LOG_LEVEL": "warn",
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
        **{f"MODERATION_TOPICS__{k.upper()}": v for k, v in topics.model_dump().items()},
    }


@contextmanager
def workers(count: int, **options: Any) -> Iterator[list[RunningWorker]]:
    """``count`` workers in one consumer group (see :func:`worker` for ``options``)."""
    with ExitStack() as stack:
        yield [stack.enter_context(worker(**options, index=n)) for n in range(count)]


@contextmanager
def baseline(
    bootstrap: str,
    sim_url: str,
    topic: str,
    out_topic: str,
    count: int,
    window: int,
    workdir: Path,
    transport: str = "httpx",
) -> Iterator[subprocess.Popen[bytes]]:
    argv = [sys.executable, "-m", "loadtest.baseline", "--bootstrap", bootstrap]
    argv += ["--topic", topic, "--out-topic", out_topic, "--group", f"{topic}-baseline"]
    argv += ["--base-url", sim_url, "--api-key", API_KEY, "--count", str(count)]
    argv += ["--window", str(window), "--transport", transport]
    log = workdir / f"baseline-{transport}.log"
    with child(argv, log) as process:
        deadline = time.monotonic() + 60
        while "baseline ready" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"baseline did not start; see {log}")
            time.sleep(0.1)
        yield process
