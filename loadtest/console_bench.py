"""Benchmark of the review console on PostgreSQL: queue page latency with a big backlog, and the
ingest rate from the real broker into the database. Prints figures; asserts nothing.

    python -m loadtest.console_bench [--tasks 100000] [--ingest 20000] [--requests 300]

PostgreSQL: DATABASE_URL, else a throwaway cluster from Debian's postgresql binaries. Kafka:
KAFKA_BOOTSTRAP_SERVERS, else a throwaway local broker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import create_engine, make_url, text

from moderation.console.accounts import add_token, add_user
from moderation.console.app import build_app
from moderation.console.db import make_engine, migrate, sessions
from moderation.console.ingest import IngestStats, run_ingest
from moderation.console.models import Role
from moderation.console.samples import sample_task
from moderation.console.settings import ConsoleSettings
from moderation.console.state import ConsoleState
from moderation.console.tasks import store_tasks
from moderation.policy.book import PolicyBook
from moderation_contracts import dump_payload
from moderation_dev.devkafka import free_port, local_kafka
from moderation_dev.devpostgres import local_postgres

TENANTS = ("acme", "globex", "initech", "umbrella", "hooli")
BATCH = 1000


def progress(label: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r{label:<24} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} ")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def make_tasks(start: int, count: int, now: datetime) -> list[bytes]:
    return [
        dump_payload(
            sample_task(
                n,
                tenant=TENANTS[n % len(TENANTS)],
                now=now - timedelta(seconds=n % 7200),
                deadline_in=timedelta(minutes=(n * 37) % 2880 - 60),
            )
        )
        for n in range(start, start + count)
    ]


def fill(url: str, start: int, count: int) -> float:
    """Insert tasks straight through the data layer; returns tasks per second."""
    from moderation_contracts import HumanReviewTask, parse_payload

    engine = make_engine(url)
    factory = sessions(engine)
    now = datetime.now(UTC)
    began = time.perf_counter()
    for offset in range(0, count, BATCH):
        size = min(BATCH, count - offset)
        tasks = [
            parse_payload(HumanReviewTask, raw) for raw in make_tasks(start + offset, size, now)
        ]
        with factory.begin() as session:
            store_tasks(session, tasks, now=now)
        progress("backlog (data layer)", offset + size, count)
    took = time.perf_counter() - began
    with engine.begin() as connection:  # committed: statistics as autovacuum would leave them
        connection.execute(text("ANALYZE tasks"))
    engine.dispose()
    return count / took


async def ingest_rate(url: str, bootstrap: str, count: int) -> float:
    """Publish ``count`` tasks, then time the console's ingest loop storing them all."""
    topic = f"console-bench-{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        now = datetime.now(UTC)
        for offset in range(0, count, BATCH):
            size = min(BATCH, count - offset)
            for raw in make_tasks(10_000_000 + offset, size, now):
                await producer.send(topic, raw, key=b"k")
            await producer.flush()
            progress("publish to Kafka", offset + size, count)
    finally:
        await producer.stop()
    engine = make_engine(url)
    factory = sessions(engine)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    stats = IngestStats()

    async def refuse(topic: str, key: bytes, value: bytes) -> None:
        raise RuntimeError("the benchmark publishes only valid tasks")

    began = time.perf_counter()
    job = asyncio.create_task(
        run_ingest(consumer, factory, send=refuse, deadletter_topic="-", stats=stats)
    )
    try:
        while stats.stored < count:
            if job.done():
                job.result()
            await asyncio.sleep(0.05)
            progress("ingest Kafka -> DB", stats.stored, count)
        took = time.perf_counter() - began
    finally:
        job.cancel()
        await asyncio.gather(job, return_exceptions=True)
        await consumer.stop()
        engine.dispose()
    return count / took


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def page_latency(url: str, requests: int) -> dict[str, list[float]]:
    engine = make_engine(url)
    now = datetime.now(UTC)
    with sessions(engine).begin() as session:
        user = add_user(session, "bench", Role.REVIEWER, list(TENANTS[:3]), None, now=now)
        token = add_token(session, user, "bench", now=now)
    settings = ConsoleSettings(database_url="sqlite://", secure_cookies=False)
    state = ConsoleState(settings=settings, engine=engine, policies=PolicyBook.load(None))
    state.ingest_running = True
    runner = web.AppRunner(build_app(state), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    headers = {"Authorization": f"Bearer {token}"}
    timings: dict[str, list[float]] = {
        "GET /queue (HTML, 100 rows)": [],
        "GET /api/queue (50 rows)": [],
        "POST /api/queue/next": [],
    }

    def get(path: str, method: str = "GET") -> float:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", headers=headers, method=method
        )
        began = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            answer.read()
        return (time.perf_counter() - began) * 1000

    def claim_and_release() -> float:
        """Time one claim of the top task; give it back untimed so the next call claims too."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/queue/next", headers=headers, method="POST"
        )
        began = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            task_id = json.loads(answer.read())["task_id"]
        took = (time.perf_counter() - began) * 1000
        get(f"/api/tasks/{task_id}/release", "POST")
        return took

    try:
        for done in range(requests):
            timings["GET /queue (HTML, 100 rows)"].append(await asyncio.to_thread(get, "/queue"))
            timings["GET /api/queue (50 rows)"].append(await asyncio.to_thread(get, "/api/queue"))
            progress("queue page requests", done + 1, requests)
        for _ in range(min(requests, 100)):
            timings["POST /api/queue/next"].append(await asyncio.to_thread(claim_and_release))
    finally:
        await runner.cleanup()
        engine.dispose()
    return timings


def fresh_database(server: str) -> tuple[str, Callable[[], None]]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(server).set(database=name).render_as_string(hide_password=False), drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.console_bench",
        description="Queue page latency with a large open backlog, and ingest rate, on "
        "PostgreSQL (DATABASE_URL, else a throwaway cluster).",
    )
    parser.add_argument("--tasks", type=int, default=100_000, help="open tasks in the backlog")
    parser.add_argument("--ingest", type=int, default=20_000, help="tasks ingested via Kafka")
    parser.add_argument("--requests", type=int, default=300, help="queue page requests timed")
    args = parser.parse_args(argv)
    with local_postgres() as server, tempfile.TemporaryDirectory() as scratch:
        url, drop = fresh_database(server)
        try:
            migrate(make_engine(url))
            with local_kafka(Path(scratch)) as bootstrap:
                ingest = asyncio.run(ingest_rate(url, bootstrap, args.ingest))
            backlog = args.tasks - args.ingest
            direct = fill(url, 0, backlog) if backlog > 0 else float("nan")
            timings = asyncio.run(page_latency(url, args.requests))
        finally:
            drop()
    print(f"\nconsole benchmark: {args.tasks} open tasks in PostgreSQL, {len(TENANTS)} tenants")
    print(f"  ingest Kafka -> PostgreSQL: {ingest:,.0f} tasks/s over {args.ingest} tasks")
    print(f"  backlog fill (data layer):  {direct:,.0f} tasks/s")
    for name, values in timings.items():
        print(
            f"  {name:<26} p50 {statistics.median(values):6.1f} ms  "
            f"p95 {percentile(values, 0.95):6.1f} ms  max {max(values):6.1f} ms  (n={len(values)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
