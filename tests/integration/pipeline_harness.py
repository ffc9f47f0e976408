"""Run the real worker as a subprocess against the test broker and the simulated API.

Every test gets its own topics and consumer group (a unique suffix), so tests never see each
other's messages. Helpers publish requests and collect outcomes until every item has one.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from moderation.settings import TopicNames
from moderation_contracts import HumanDecision, ModerationRequest, dump_payload
from moderation_dev.devkafka import free_port


def text_token(length: int = 8) -> str:
    """A random marker for item texts. Letters only: the simulated model flags a run of ten
    digits as personal data, and a hex token (``2400112f``) after a number sometimes made one."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(length))


def topic_names(suffix: str) -> TopicNames:
    base = TopicNames()
    return TopicNames(**{name: f"{value}.{suffix}" for name, value in base.model_dump().items()})


@dataclass
class SimApi:
    process: subprocess.Popen[bytes]
    base_url: str

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base_url}/_sim/stats", timeout=5) as answer:  # noqa: S310
            stats: dict[str, Any] = json.loads(answer.read())
            return stats


@contextmanager
def sim_api(*options: str) -> Iterator[SimApi]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moderation.cli", "dev", "sim-api", "--port", str(port), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{url}/_sim/stats", 20)
        yield SimApi(process, url)
    finally:
        process.terminate()
        process.wait(10)


def _wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback test server
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@dataclass
class Worker:
    """One ``moderation worker`` process."""

    env: dict[str, str]
    log_path: Path
    web_port: int
    process: subprocess.Popen[bytes] | None = None

    def launch(self) -> subprocess.Popen[bytes]:
        """Start the process without waiting for it to be ready."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moderation.cli", "worker"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self.process

    def start(self, ready_timeout: float = 60.0) -> Worker:
        self.process = self.launch()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early; log:\n{self.log_tail()}")
            if self.ready():
                return self
            time.sleep(0.3)
        raise TimeoutError(f"worker not ready in {ready_timeout}s; log:\n{self.log_tail()}")

    def ready(self) -> bool:
        try:
            url = f"http://127.0.0.1:{self.web_port}/readyz"
            with urllib.request.urlopen(url, timeout=1) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    def metrics(self) -> str:
        url = f"http://127.0.0.1:{self.web_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as answer:
            return str(answer.read().decode())

    def stop(self, timeout: float = 40.0) -> int:
        """SIGTERM (graceful drain) and wait; returns the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)

    def kill(self) -> None:
        """SIGKILL: no drain, no commit."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass
class Pipeline:
    """Worker environment for one test: its own topics, group and data folder."""

    bootstrap: str
    sim_url: str
    topics: TopicNames
    app_id: str
    workdir: Path
    partitions: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    workers: list[Worker] = field(default_factory=list)

    def worker(self, stages: str = "triage,review,finalize", **env: str) -> Worker:
        index = len(self.workers)
        port = free_port()
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("MODERATION_", "OTEL_"))},
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "ANTHROPIC_API_KEY": "sk-test-not-a-real-key",
            "ANTHROPIC_BASE_URL": self.sim_url,
            "MODERATION_APP_ID": self.app_id,
            "MODERATION_STAGES": stages,
            "MODERATION_WEB_PORT": str(port),
            "MODERATION_WEB_HOST": "127.0.0.1",
            "MODERATION_DATA_DIR": str(self.workdir / f"data-{index}"),
            "MODERATION_TOPIC_PARTITIONS": str(self.partitions),
            "MODERATION_SHUTDOWN_TIMEOUT_S": "20",
            "MODERATION_TRACE_FILE": str(self.workdir / "traces.jsonl"),
            "OTEL_TRACES_EXPORTER": "none",
            "OTEL_METRICS_EXPORTER": "none",
            **{f"MODERATION_TOPICS__{k.upper()}": v for k, v in self.topics.model_dump().items()},
            **self.extra_env,
            **env,
        }
        made = Worker(environment, self.workdir / f"worker-{index}.log", port)
        self.workers.append(made)
        return made

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.process is not None and worker.process.poll() is None:
                worker.stop()


def request(content_id: str, text: str, tenant: str = "acme") -> ModerationRequest:
    return ModerationRequest(
        content_id=content_id, tenant_id=tenant, text=text, submitted_at=datetime.now(UTC)
    )


async def publish(
    bootstrap: str,
    topic: str,
    items: Iterable[ModerationRequest | tuple[bytes, bytes]],
    headers: Sequence[tuple[str, bytes]] = (),
) -> None:
    """Produce ``items`` (keyed by content_id), each with ``headers`` (e.g. an upstream
    ``traceparent``)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for item in items:
            if isinstance(item, tuple):
                key, value = item
            else:
                key, value = item.content_id.encode(), dump_payload(item)
            await producer.send_and_wait(topic, value, key=key, headers=list(headers) or None)
    finally:
        await producer.stop()


@dataclass
class Outcomes:
    """Everything the pipeline wrote, per content_id, in the order it was read."""

    decisions: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    tasks: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    decision_offsets: dict[str, list[tuple[int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    traceparents: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    """Per record key: (topic, traceparent header) of every record read that carried one."""

    def final(self, content_id: str) -> dict[str, Any] | None:
        return next((d for d in self.decisions.get(content_id, []) if d["final"]), None)

    def dead_letter_for(self, key: str) -> dict[str, Any] | None:
        return next((d for d in self.dead_letters if d.get("_key") == key), None)

    def terminal(self, content_id: str) -> bool:
        return (
            self.final(content_id) is not None
            or bool(self.tasks.get(content_id))
            or self.dead_letter_for(content_id) is not None
        )

    def duplicates(self) -> int:
        """Extra copies of the same (content_id, status) decision: allowed, but counted."""
        extra = 0
        for items in self.decisions.values():
            statuses = [d["status"] for d in items]
            extra += len(statuses) - len(set(statuses))
        return extra


async def collect(
    bootstrap: str,
    topics: TopicNames,
    until: Any,
    timeout: float = 60.0,
    reviewer: Mapping[str, str] | None = None,
    echo_trace: Collection[str] = (),
) -> Outcomes:
    """Read decisions, review tasks and dead letters until ``until(outcomes)`` is true.

    With ``reviewer`` (content_id -> action), answer those human-review tasks as a reviewer.
    Answers for the content_ids in ``echo_trace`` carry the task's ``traceparent`` and
    ``tracestate`` headers back, as a trace-aware reviewer tool would; others carry none.
    """
    outcomes = Outcomes()
    consumer = AIOKafkaConsumer(
        topics.decisions,
        topics.human_review,
        topics.deadletter,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    answered: set[str] = set()
    try:
        deadline = time.monotonic() + timeout
        while not until(outcomes):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"outcomes incomplete after {timeout}s: {summary(outcomes)}; "
                    f"seen content ids: {sorted(outcomes.decisions)[:80]}"
                )
            batch = await consumer.getmany(timeout_ms=500)
            for tp, messages in batch.items():
                for message in messages:
                    data = json.loads(message.value)
                    key = message.key.decode() if message.key else ""
                    trace_headers = [
                        (name, value) for name, value in message.headers or () if _is_trace(name)
                    ]
                    for name, value in trace_headers:
                        if name == "traceparent":
                            outcomes.traceparents[key].append((tp.topic, value.decode()))
                    if tp.topic == topics.decisions:
                        outcomes.decisions[data["content_id"]].append(data)
                        outcomes.decision_offsets[data["content_id"]].append(
                            (tp.partition, message.offset)
                        )
                    elif tp.topic == topics.human_review:
                        content_id = data["request"]["content_id"]
                        outcomes.tasks[content_id].append(data)
                        if reviewer and content_id in reviewer and content_id not in answered:
                            answered.add(content_id)
                            echoed = trace_headers if content_id in echo_trace else []
                            await _answer(producer, topics, data, reviewer[content_id], echoed)
                    else:
                        data["_key"] = key
                        outcomes.dead_letters.append(data)
    finally:
        await consumer.stop()
        await producer.stop()
    return outcomes


def _is_trace(name: str) -> bool:
    return name.lower() in ("traceparent", "tracestate")


async def _answer(
    producer: AIOKafkaProducer,
    topics: TopicNames,
    task: dict[str, Any],
    action: str,
    headers: Sequence[tuple[str, bytes]] = (),
) -> None:
    request_data = task["request"]
    categories = (
        [{"category": "violence", "severity": "high", "confidence": 1.0}]
        if action == "remove"
        else []
    )
    decision = HumanDecision(
        content_id=request_data["content_id"],
        tenant_id=request_data["tenant_id"],
        task_id=task["task_id"],
        reviewer_id="reviewer-1",
        action=action,  # type: ignore[arg-type]
        categories=categories,  # type: ignore[arg-type]
    )
    await producer.send_and_wait(
        topics.human_decisions,
        dump_payload(decision),
        key=decision.content_id.encode(),
        headers=list(headers) or None,
    )


def summary(outcomes: Outcomes) -> str:
    finals = sum(1 for cid in outcomes.decisions if outcomes.final(cid))
    return (
        f"{finals} final decisions, {len(outcomes.tasks)} items with review tasks, "
        f"{len(outcomes.dead_letters)} dead letters"
    )


def run(coro: Any) -> Any:
    return asyncio.get_event_loop().run_until_complete(coro)
