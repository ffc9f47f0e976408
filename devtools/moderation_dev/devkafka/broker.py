"""Run one KRaft broker+controller on loopback, and stop only the broker we started."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from moderation_dev.devkafka.probe import kafka_answers
from moderation_dev.devkafka.runtime import KafkaRuntime, cache_home, ensure_runtime

_BROKER_MAIN = "kafka.Kafka"
_STORAGE_TOOL = "kafka.tools.StorageTool"


class BrokerError(RuntimeError):
    """The local broker could not be started, or did not answer in time."""


@dataclass(frozen=True)
class BrokerSpec:
    """Where the broker listens and keeps its throwaway state."""

    host: str = "127.0.0.1"
    port: int = 9092
    controller_port: int | None = None
    state_dir: Path | None = None
    partitions: int = 1
    heap: str = "512m"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def controller(self) -> int:
        return self.controller_port if self.controller_port is not None else self.port + 1

    @property
    def root(self) -> Path:
        if self.state_dir is not None:
            return self.state_dir
        return cache_home() / "kafka-run" / f"{self.host}-{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "broker.log"

    @property
    def properties_file(self) -> Path:
        return self.root / "server.properties"

    @property
    def pid_file(self) -> Path:
        return self.root / "broker.json"


@dataclass(frozen=True)
class BrokerHandle:
    """A broker this project started: enough to find it again and stop it."""

    pid: int
    bootstrap: str
    root: Path
    log_file: Path


def render_properties(spec: BrokerSpec) -> str:
    """The broker's server.properties: combined mode, plaintext, loopback, replication 1."""
    lines = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{spec.host}:{spec.controller}",
        "listeners": f"PLAINTEXT://{spec.host}:{spec.port},CONTROLLER://{spec.host}:{spec.controller}",
        "advertised.listeners": f"PLAINTEXT://{spec.host}:{spec.port}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(spec.data_dir),
        "num.partitions": str(spec.partitions),
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "4",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "true",
        "log.retention.hours": "24",
    }
    return "".join(f"{key}={value}\n" for key, value in lines.items())


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding.

    An id starting with '-' would be read as an option by the storage tool (Kafka's own
    generator avoids those too), so draw again.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise BrokerError("Java 17+ is needed to run the local Kafka broker; none is on PATH.")
    return found


def _java_command(runtime: KafkaRuntime, spec: BrokerSpec, main: str) -> list[str]:
    return [
        _java(),
        f"-Xms{spec.heap}",
        f"-Xmx{spec.heap}",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={runtime.log4j_config}",
        "-cp",
        runtime.classpath,
        main,
    ]


def read_handle(spec: BrokerSpec) -> BrokerHandle | None:
    """The broker recorded for this spec, if its process is still the one we started."""
    try:
        data = json.loads(spec.pid_file.read_text(encoding="utf-8"))
        pid = int(data["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _is_our_broker(pid, spec):
        return None
    return BrokerHandle(pid=pid, bootstrap=spec.bootstrap, root=spec.root, log_file=spec.log_file)


def _is_our_broker(pid: int, spec: BrokerSpec) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    args = [part.decode(errors="replace") for part in cmdline]
    return _BROKER_MAIN in args and str(spec.properties_file) in args


def start_broker(
    runtime: KafkaRuntime, spec: BrokerSpec, *, timeout: float = 60.0
) -> tuple[BrokerHandle, bool]:
    """Start the broker unless one already answers there; the flag says whether we started it."""
    existing = read_handle(spec)
    if existing is not None and kafka_answers(spec.host, spec.port):
        return existing, False
    if existing is None and kafka_answers(spec.host, spec.port):
        raise BrokerError(
            f"something else already answers Kafka on {spec.bootstrap}; set "
            f"KAFKA_BOOTSTRAP_SERVERS={spec.bootstrap} to use it, or choose another --port."
        )
    if existing is not None:
        stop_broker(spec)
    shutil.rmtree(spec.data_dir, ignore_errors=True)
    spec.root.mkdir(parents=True, exist_ok=True)
    spec.properties_file.write_text(render_properties(spec), encoding="utf-8")
    fmt = subprocess.run(
        [
            *_java_command(runtime, spec, _STORAGE_TOOL),
            "format",
            "-t",
            new_cluster_id(),
            "-c",
            str(spec.properties_file),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if fmt.returncode != 0:
        raise BrokerError(f"formatting the KRaft log dir failed:\n{fmt.stdout}{fmt.stderr}")
    return _launch(runtime, spec, timeout, "wb"), True


def restart_broker(
    runtime: KafkaRuntime, spec: BrokerSpec, *, down_s: float = 0.0, timeout: float = 60.0
) -> BrokerHandle:
    """Stop the broker we started for ``spec`` (SIGTERM: a controlled shutdown), stay down for
    ``down_s`` and start it again on the same ports and data: topics, offsets and consumer
    groups survive, as in a rolling restart."""
    if read_handle(spec) is None:
        raise BrokerError(f"no broker of ours runs for {spec.bootstrap}; start one first")
    stop_broker(spec, keep_state=True)
    time.sleep(down_s)
    return _launch(runtime, spec, timeout, "ab")


def _launch(runtime: KafkaRuntime, spec: BrokerSpec, timeout: float, log_mode: str) -> BrokerHandle:
    """Start the broker process on the formatted data dir and wait until it answers."""
    with spec.log_file.open(log_mode) as log:
        process = subprocess.Popen(
            [*_java_command(runtime, spec, _BROKER_MAIN), str(spec.properties_file)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    handle = BrokerHandle(
        pid=process.pid, bootstrap=spec.bootstrap, root=spec.root, log_file=spec.log_file
    )
    spec.pid_file.write_text(
        json.dumps({"pid": process.pid, "bootstrap": spec.bootstrap}), encoding="utf-8"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrokerError(
                f"the broker exited with code {process.returncode}; see {spec.log_file}"
            )
        if kafka_answers(spec.host, spec.port, timeout=1.0):
            return handle
        time.sleep(0.25)
    stop_broker(spec)
    raise BrokerError(f"the broker did not answer within {timeout:.0f}s; see {spec.log_file}")


def stop_broker(spec: BrokerSpec, *, timeout: float = 30.0, keep_state: bool = False) -> bool:
    """Stop the broker we started for this spec (only that one); True when one was stopped."""
    handle = read_handle(spec)
    stopped = False
    if handle is not None:
        _terminate(handle.pid, timeout)
        stopped = True
    spec.pid_file.unlink(missing_ok=True)
    if not keep_state:
        shutil.rmtree(spec.data_dir, ignore_errors=True)
    return stopped


def _terminate(pid: int, timeout: float) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while _alive(pid):
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting for its parent."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (good enough for throwaway local servers)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def local_kafka(state_dir: Path, *, quiet: bool = True) -> Iterator[str]:
    """Yield a bootstrap address: ``KAFKA_BOOTSTRAP_SERVERS`` if set, else a throwaway broker.

    The throwaway broker listens on free loopback ports, keeps its state in ``state_dir`` and is
    stopped on exit, so nothing this starts outlives it.
    """
    existing = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    if existing:
        yield existing
        return
    runtime, _ = ensure_runtime(quiet=quiet)
    spec = BrokerSpec(port=free_port(), controller_port=free_port(), state_dir=state_dir)
    start_broker(runtime, spec, timeout=90)
    try:
        yield spec.bootstrap
    finally:
        stop_broker(spec)
