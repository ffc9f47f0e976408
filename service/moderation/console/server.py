"""``moderation console serve``: the web server, ingest, outbox publisher and lease sweeper."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy.orm import Session

from moderation.console import accounts, queue
from moderation.console.app import build_app
from moderation.console.db import make_engine, migrate
from moderation.console.ingest import run_ingest
from moderation.console.outbox import run_publisher
from moderation.console.settings import ConsoleSettings
from moderation.console.state import ConsoleState
from moderation.policy.book import PolicyBook
from moderation.worker.kafka_config import client_security

log = logging.getLogger(__name__)

SWEEP_S = 15.0


def _sweep_once(now: datetime) -> Callable[[Session], int]:
    def work(session: Session) -> int:
        accounts.purge_expired_sessions(session, now=now)
        return queue.expire_leases(session, now=now)

    return work


async def sweep_leases(state: ConsoleState) -> None:
    """Return expired claims to the queue and drop expired sessions, every few seconds."""
    while True:
        try:
            expired = await state.write(_sweep_once(state.clock()))
            if expired:
                log.info("leases: %d expired claims returned to the queue", expired)
        except Exception:  # keep sweeping; a database outage shows on /readyz
            log.exception("leases: sweep failed")
        await asyncio.sleep(SWEEP_S)


async def _serve_offline(state: ConsoleState) -> None:
    runner = web.AppRunner(build_app(state), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, state.settings.host, state.settings.port).start()
    state.ingest_running = True  # nothing to ingest: ready as soon as the database answers
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    sweeper = asyncio.create_task(sweep_leases(state))
    try:
        await stop.wait()
    finally:
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await runner.cleanup()
        state.engine.dispose()


def _sender(producer: AIOKafkaProducer) -> Callable[[str, bytes, bytes], Awaitable[None]]:
    async def send(topic: str, key: bytes, value: bytes) -> None:
        await producer.send_and_wait(topic, value, key=key)

    return send


async def serve(
    settings: ConsoleSettings, *, run_migrations: bool = True, offline: bool = False
) -> None:
    """Run until SIGTERM/SIGINT. ``offline``: no broker at all (no ingest; decisions wait in
    the outbox) for looking at tasks imported from a file."""
    engine = make_engine(settings.url())
    if run_migrations:
        await asyncio.to_thread(migrate, engine)
    state = ConsoleState(settings=settings, engine=engine, policies=PolicyBook.load(None))
    if offline:
        await _serve_offline(state)
        return
    security = client_security()
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        **security,
    )
    consumer = AIOKafkaConsumer(
        settings.human_review_topic,
        settings.appeal_tasks_topic,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=settings.group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **security,
    )
    runner = web.AppRunner(build_app(state), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    log.info("console: listening on http://%s:%d", settings.host, settings.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    tasks: list[asyncio.Task[None]] = []
    try:
        await producer.start()
        await consumer.start()
        send = _sender(producer)
        state.ingest_running = True
        tasks = [
            asyncio.create_task(
                run_ingest(
                    consumer,
                    state.factory,
                    send=send,
                    deadletter_topic=settings.deadletter_topic,
                    stats=state.ingest,
                    appeal_topic=settings.appeal_tasks_topic,
                )
            ),
            asyncio.create_task(run_publisher(state.factory, send, state.outbox_wake)),
            asyncio.create_task(sweep_leases(state)),
        ]
        waiter = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for finished in done:
            if finished is not waiter and finished.exception() is not None:
                raise RuntimeError("console: a background task failed") from finished.exception()
    finally:
        state.ingest_running = False
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await runner.cleanup()
        with contextlib.suppress(Exception):
            await consumer.stop()
        with contextlib.suppress(Exception):
            await producer.stop()
        engine.dispose()
        log.info("console: stopped")
