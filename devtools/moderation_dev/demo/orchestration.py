"""One demo run against a broker and an API endpoint: topics, worker, publish, review, wait.

The caller provides the broker and the API (simulated or real); this module starts the worker
as a child process with its own topics and consumer group, publishes the corpus, plays the
human reviewer, and returns once every item has a terminal outcome or the timeout passes.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from moderation.progress import ProgressLine, progress_text
from moderation.settings import TopicNames
from moderation.worker.topics import ensure_topics
from moderation_contracts import (
    ContractError,
    DeadLetter,
    Decision,
    HumanReviewTask,
    dump_payload,
    parse_payload,
)
from moderation_dev.demo.corpus import CorpusItem
from moderation_dev.demo.ledger import Ledger
from moderation_dev.demo.processes import (
    ChildProcess,
    DemoError,
    demo_topics,
    wait_until_ready,
    worker_env,
    worker_process,
)
from moderation_dev.demo.reviewer import answer
from moderation_dev.devkafka import free_port

TRACE_FILE_NAME = "demo-traces.jsonl"
WORKER_LOG_NAME = "demo-worker.log"
HUMAN_TASKS_NAME = "demo-human-tasks.jsonl"
"""Every human-review task of the run, one JSON per line: `make console` opens them."""
RETRY_ANSWER_AFTER_S = 0.5


@dataclass(frozen=True)
class DemoConfig:
    """What one run needs; ``anthropic_base_url`` None means the real API."""

    bootstrap: str
    items: list[CorpusItem]
    run_dir: Path
    data_dir: Path
    anthropic_base_url: str | None
    timeout_s: float = 120.0
    partitions: int = 4
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:10])


@dataclass
class DemoRun:
    """The outcome: the ledger of every item and where the run's files are."""

    ledger: Ledger
    topics: TopicNames
    elapsed_s: float
    timed_out: bool
    trace_file: Path
    worker_log: Path
    timeout_s: float = 0.0
    worker_exit: int | None = None
    unreadable_outputs: int = 0


async def remove_demo_topics(bootstrap: str, suffix: str) -> list[str]:
    """Delete this run's topics: ``*.demo-<suffix>`` and the worker's internal ones (its
    group is ``demo-<suffix>-...``: table changelogs, faust's leader topic)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        present = sorted(
            name
            for name in await admin.list_topics()
            if name.endswith(f".demo-{suffix}") or name.startswith(f"demo-{suffix}-")
        )
        if present:
            await admin.delete_topics(present)
    finally:
        await admin.close()
    return present


class _Observer:
    """Reads decisions, dead letters and review tasks; answers each new task as the reviewer."""

    def __init__(
        self,
        ledger: Ledger,
        topics: TopicNames,
        producer: AIOKafkaProducer,
        tasks_file: Path | None = None,
    ) -> None:
        self.ledger = ledger
        self.tasks_file = tasks_file
        self.topics = topics
        self.producer = producer
        self.unreadable = 0
        self._jobs: set[asyncio.Task[None]] = set()

    async def handle(self, topic: str, value: bytes | None) -> None:
        try:
            if topic == self.topics.decisions:
                self.ledger.decision(parse_payload(Decision, value or b""))
            elif topic == self.topics.deadletter:
                letter = parse_payload(DeadLetter, value or b"")
                retry = self.ledger.dead_letter(letter)
                if retry is not None:
                    self._later(retry)
            elif topic == self.topics.human_review:
                task = parse_payload(HumanReviewTask, value or b"")
                if self.tasks_file is not None:
                    with self.tasks_file.open("ab") as kept:
                        kept.write((value or b"") + b"\n")
                if self.ledger.task(task):
                    await self._answer(task)
        except ContractError:
            self.unreadable += 1

    def _later(self, task: HumanReviewTask) -> None:
        """Answer again shortly: finalize had not registered the task when the answer came."""

        async def again() -> None:
            await asyncio.sleep(RETRY_ANSWER_AFTER_S)
            await self._answer(task)

        job = asyncio.create_task(again())
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)

    async def close(self) -> None:
        """Cancel answers still waiting to be sent again."""
        for job in list(self._jobs):
            job.cancel()
        await asyncio.gather(*self._jobs, return_exceptions=True)

    async def _answer(self, task: HumanReviewTask) -> None:
        decision = answer(task, datetime.now(UTC))
        await self.producer.send_and_wait(
            self.topics.human_decisions, dump_payload(decision), key=decision.content_id.encode()
        )
        self.ledger.answers += 1


async def _publish(
    producer: AIOKafkaProducer, config: DemoConfig, topic: str, ledger: Ledger
) -> None:
    futures = []
    for item in config.items:
        now = datetime.now(UTC)
        futures.append(await producer.send(topic, item.message(now), key=item.content_id.encode()))
        ledger.published(item.content_id, now)
    await asyncio.gather(*futures)


async def _watch(
    consumer: AIOKafkaConsumer,
    observer: _Observer,
    worker: ChildProcess,
    progress: ProgressLine,
    total: int,
    started: float,
    deadline: float,
) -> bool:
    """Consume until every item is terminal (True) or the deadline passes (False)."""
    ledger = observer.ledger
    while not ledger.done():
        now = time.monotonic()
        if now >= deadline:
            return False
        if not worker.alive:
            raise DemoError(
                f"the worker exited with status {worker.popen.returncode} while items were "
                f"in flight; last lines of {worker.log_path}:\n{worker.log_tail()}"
            )
        batches = await consumer.getmany(timeout_ms=300, max_records=500)
        for partition, records in batches.items():
            for record in records:
                await observer.handle(partition.topic, record.value)
        progress.show(progress_text(ledger, total, now - started), now - started)
    return True


async def run_demo(config: DemoConfig, out: TextIO) -> DemoRun:
    """Start the worker, publish the corpus, review, and wait for every terminal outcome."""
    started = time.monotonic()
    topics = demo_topics(config.suffix)
    config.run_dir.mkdir(parents=True, exist_ok=True)
    trace_file = (config.run_dir / TRACE_FILE_NAME).resolve()
    trace_file.unlink(missing_ok=True)
    worker_log = config.run_dir / WORKER_LOG_NAME
    app_id = f"demo-{config.suffix}"
    await ensure_topics(
        config.bootstrap, topics.all(), config.partitions, 1, compacted=topics.compacted()
    )
    ledger = Ledger(config.items, topics.human_decisions)
    env = worker_env(
        os.environ,
        bootstrap=config.bootstrap,
        topics=topics,
        app_id=app_id,
        trace_file=trace_file,
        data_dir=config.data_dir,
        partitions=config.partitions,
        anthropic_base_url=config.anthropic_base_url,
    )
    out.write(f"topics end in .demo-{config.suffix}; worker log {worker_log}\n")
    producer = AIOKafkaProducer(bootstrap_servers=config.bootstrap, acks="all")
    consumer = AIOKafkaConsumer(bootstrap_servers=config.bootstrap, enable_auto_commit=False)
    progress = ProgressLine(out)
    tasks_file = config.run_dir / HUMAN_TASKS_NAME
    tasks_file.unlink(missing_ok=True)
    observer = _Observer(ledger, topics, producer, tasks_file)
    completed = False
    web_port = free_port()
    with worker_process(env, worker_log, web_port) as worker:
        took = await wait_until_ready(worker, web_port)
        out.write(f"worker ready after {took:.1f}s\n")
        await producer.start()
        try:
            await consumer.start()
            try:
                watched = [topics.decisions, topics.deadletter, topics.human_review]
                consumer.assign(
                    [TopicPartition(t, p) for t in watched for p in range(config.partitions)]
                )
                await consumer.seek_to_beginning()
                await _publish(producer, config, topics.requests, ledger)
                deadline = time.monotonic() + config.timeout_s
                completed = await _watch(
                    consumer, observer, worker, progress, len(config.items), started, deadline
                )
            finally:
                await consumer.stop()
        finally:
            await observer.close()
            await producer.stop()
            progress.finish(progress_text(ledger, len(config.items), time.monotonic() - started))
        out.write("stopping the worker (SIGTERM; it drains in-flight work)\n")
        out.flush()
    return DemoRun(
        ledger=ledger,
        topics=topics,
        elapsed_s=time.monotonic() - started,
        timed_out=not completed,
        timeout_s=config.timeout_s,
        trace_file=trace_file,
        worker_log=worker_log,
        worker_exit=worker.popen.returncode,
        unreadable_outputs=observer.unreadable,
    )
