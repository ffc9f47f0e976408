"""One chaos run: start, load, break, watch, count.

A run: its own topics and consumer group (a fresh suffix; the workers create the topics, as
they do by default), two workers, a few hundred items at
a steady rate; at a random moment in the sending window one worker is SIGKILLed and started
again at once (same environment and data folder, like a container restart in its pod); on
every ``broker_every``-th run the broker is then also restarted (SIGTERM, data kept, back
after a few seconds). The run then waits until every item is terminal or its stall deadline
has passed. Anything late gets a sweep (both workers restarted afresh, ``grace_s`` more) to
tell a stalled item from a lost one. Nothing restarts a worker because its ``/livez`` fails;
the run only counts how often it failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from loadtest import processes
from loadtest.chaos.cluster import OwnBroker, WorkerProcess, now_ms, uninterruptible
from loadtest.chaos.ledger import Faults, Ledger, Stage, figures
from loadtest.chaos.observer import Observer, publish
from loadtest.chaos.partitioner import PARTITIONERS
from loadtest.traffic import Route, TrafficSpec, generate
from moderation.settings import TopicNames
from moderation_dev.devkafka import free_port

READY_TIMEOUT_S = 150.0
"""A restarted worker is ready once the group has dropped the killed member (session timeout)
and rebalanced: well under this."""


@dataclass(frozen=True)
class ChaosConfig:
    runs: int = 5
    items: int = 300
    rate: float = 15.0
    partitions: int = 4
    workers: int = 2
    broker_every: int = 3
    mix: Mapping[Route, float] = field(
        default_factory=lambda: {Route.ALLOW: 0.8, Route.REVIEW_CLEAR: 0.12, Route.HUMAN: 0.08}
    )
    duplicates: float = 0.1
    stall_after_s: float = 60.0
    grace_s: float = 60.0
    worker_env: Mapping[str, str] = field(default_factory=dict)
    seed: int = 1
    partitioner: str = "crc32"

    def restarts_broker(self, run: int) -> bool:
        """Run numbers start at 1; every ``broker_every``-th run restarts the broker."""
        return self.broker_every > 0 and run % self.broker_every == 0


Progress = Callable[[str], None]
T = TypeVar("T")


def _topics(suffix: str) -> TopicNames:
    base = TopicNames()
    return TopicNames(**{k: f"{v}.chaos-{suffix}" for k, v in base.model_dump().items()})


@dataclass
class _Workers:
    """The run's workers, all in one consumer group."""

    make: Callable[[int], WorkerProcess]
    count: int
    members: list[WorkerProcess] = field(default_factory=list)
    livez_failures: int = 0

    async def start(self) -> None:
        self.members = [self.make(index) for index in range(self.count)]
        for member in self.members:
            member.start()
        await asyncio.gather(
            *(asyncio.to_thread(m.wait_ready, READY_TIMEOUT_S) for m in self.members)
        )

    async def stop(self) -> None:
        await asyncio.gather(*(asyncio.to_thread(m.stop) for m in self.members))

    async def watch(self, stop: asyncio.Event, every_s: float = 2.0) -> None:
        """Count /livez failures (each would make an orchestrator restart that worker); never
        act on them."""
        while not stop.is_set():
            answers = await asyncio.gather(
                *(asyncio.to_thread(m.livez_failing) for m in self.members)
            )
            self.livez_failures += sum(answers)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)


async def one_run(
    number: int,
    config: ChaosConfig,
    broker: OwnBroker,
    sim_url: str,
    workdir: Path,
    progress: Progress,
) -> dict[str, Any]:
    rng = random.Random(config.seed * 1000 + number)
    suffix = uuid.uuid4().hex[:8]
    topics, app_id = _topics(suffix), f"chaos-{suffix}"
    count = max(10, round(config.items * rng.uniform(0.85, 1.15)))
    traffic = TrafficSpec(
        items=count, mix=config.mix, duplicate_share=config.duplicates, seed=rng.randrange(10**6)
    )
    items = generate(traffic, f"ch{suffix[:6]}")
    rundir = workdir / f"run-{number:02d}-{suffix}"
    rundir.mkdir(parents=True, exist_ok=True)

    def make(index: int) -> WorkerProcess:
        port = free_port()
        env = processes.worker_env(
            broker.bootstrap,
            sim_url,
            topics,
            app_id,
            config.partitions,
            port,
            rundir / f"worker-data-{index}",
        )
        return WorkerProcess(env | dict(config.worker_env), port, rundir / f"worker-{index}.log")

    started = time.monotonic()
    ledger = Ledger()
    workers = _Workers(make, config.workers)
    phase = "starting workers"

    def show() -> None:
        progress(
            f"run {number}/{config.runs} | {phase} | sent {len(ledger.sent_ms)}/{count} | "
            f"terminal {len(ledger.terminal_ms)} | waiting {len(ledger.waiting())} | "
            f"{time.monotonic() - started:.0f}s"
        )

    observer = Observer(
        broker.bootstrap,
        topics,
        ledger,
        random.Random(rng.random()),
        PARTITIONERS[config.partitioner],
    )
    stop = asyncio.Event()
    background = [asyncio.create_task(workers.watch(stop))]
    try:
        # The workers create the run's topics (the worker's default); only then does the
        # reader subscribe, so the broker never auto-creates one with its default layout.
        await workers.start()
        background.append(asyncio.create_task(observer.run(stop)))
        phase = "sending"
        sending = asyncio.create_task(
            publish(broker.bootstrap, topics.requests, items, config.rate, ledger)
        )
        await _sleep_showing(rng.uniform(0.25, 0.75) * count / config.rate, show)
        victim = rng.randrange(config.workers)
        phase = f"worker {victim} killed, restarting"
        kill_ms = now_ms()
        workers.members[victim].kill()
        workers.members[victim].start()
        await _await_showing(
            asyncio.to_thread(workers.members[victim].wait_ready, READY_TIMEOUT_S), show
        )
        worker_back_ms = now_ms()
        broker_stop_ms = broker_back_ms = None
        if config.restarts_broker(number):
            await _sleep_showing(rng.uniform(1.0, 5.0), show)
            phase = "broker restarting"
            broker_stop_ms, broker_back_ms = await _await_showing(
                uninterruptible(broker.restart, rng.uniform(2.0, 4.0)), show
            )
        phase = "sending" if not sending.done() else "draining"
        await _await_showing(sending, show)
        faults = Faults(kill_ms, worker_back_ms, broker_stop_ms, broker_back_ms)
        phase = "draining"
        await _drain(ledger, faults, config.stall_after_s, show)
        stuck = {cid: ledger.stage.get(cid, Stage.SENT) for cid in ledger.waiting()}
        if stuck:
            # What the workers were doing while items were stuck, in their logs, for the cause.
            for member in workers.members:
                member.report_state()
            await asyncio.sleep(1.0)
            phase = f"sweep: {len(stuck)} late, restarting workers"
            await workers.stop()
            await workers.start()
            deadline = time.monotonic() + config.grace_s
            while ledger.waiting() and time.monotonic() < deadline:
                await _sleep_showing(1.0, show)
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.gather(*background)
        await workers.stop()
    result = asdict(figures(ledger, faults, int(config.stall_after_s * 1000), stuck))
    result |= {
        "run": number,
        "suffix": suffix,
        "broker_restarted": broker_stop_ms is not None,
        "killed_worker": victim,
        "kill_at_s": round((kill_ms - min(ledger.sent_ms.values())) / 1000, 1),
        "worker_ready_after_kill_s": round((worker_back_ms - kill_ms) / 1000, 1),
        "broker_down_s": (
            round((broker_back_ms - broker_stop_ms) / 1000, 1)
            if broker_stop_ms is not None and broker_back_ms is not None
            else None
        ),
        "livez_failures": workers.livez_failures,
        "swept": bool(stuck),
        "failed_answers": observer.failed_answers,
        "reader_max_lag_s": round(observer.max_read_lag_ms / 1000, 1),
        "human_tasks": ledger.tasks,
        "wall_s": round(time.monotonic() - started, 1),
        "workdir": str(rundir),
    }
    return result


async def _drain(
    ledger: Ledger, faults: Faults, stall_after_s: float, show: Callable[[], None]
) -> None:
    """Wait until every item is terminal or the last waiting item's deadline has passed."""
    stall_after_ms = int(stall_after_s * 1000)
    while waiting := ledger.waiting():
        latest = max(ledger.deadline_ms(cid, faults, stall_after_ms) for cid in waiting)
        if now_ms() > latest:
            return
        await _sleep_showing(0.5, show)


async def _sleep_showing(seconds: float, show: Callable[[], None]) -> None:
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        show()
        await asyncio.sleep(min(left, 0.5))


async def _await_showing(awaitable: Awaitable[T], show: Callable[[], None]) -> T:
    task = asyncio.ensure_future(awaitable)
    try:
        while not task.done():
            show()
            await asyncio.wait({task}, timeout=0.5)
    except asyncio.CancelledError:
        # Interrupted: stop waiting (a broker restart still finishes first: uninterruptible);
        # a wait for a worker that is being stopped may fail, which is expected here.
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        raise
    return task.result()
