"""A trivial faust pipeline used to prove the broker works end to end (tests and smoke demo).

``python -m moderation_dev.devkafka.smoke`` runs a faust worker that reads ``SMOKE_IN``, upper-cases
each value and writes it to ``SMOKE_OUT``; :func:`run_smoke` publishes, reads back and returns
what came out.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator

import faust
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


def build_app(bootstrap: str, source: str, sink: str, app_id: str) -> faust.App:
    app = faust.App(
        app_id,
        broker=f"kafka://{bootstrap}",
        value_serializer="raw",
        key_serializer="raw",
        web_enabled=False,
        topic_partitions=1,
        datadir=tempfile.mkdtemp(prefix="moderation-smoke-"),
    )
    source_topic = app.topic(source, value_type=bytes, key_type=bytes)
    sink_topic = app.topic(sink, value_type=bytes, key_type=bytes)

    @app.agent(source_topic)
    async def shout(stream: faust.StreamT[bytes]) -> AsyncIterator[bytes]:
        async for event in stream.events():
            await sink_topic.send(key=event.key, value=bytes(event.value).upper())
            yield bytes(event.value)

    return app


async def run_smoke(bootstrap: str, count: int = 5, wait_s: float = 90.0) -> list[bytes]:
    """Publish ``count`` values through a faust worker subprocess and return what came out."""
    suffix = uuid.uuid4().hex[:8]
    source, sink = f"smoke.in.{suffix}", f"smoke.out.{suffix}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for topic in (source, sink):  # create both topics before the worker subscribes
            await producer.send_and_wait(topic, b"", key=b"__init__")
    finally:
        await producer.stop()
    env = {
        **os.environ,
        "SMOKE_BOOTSTRAP": bootstrap,
        "SMOKE_IN": source,
        "SMOKE_OUT": sink,
        "SMOKE_APP_ID": f"smoke-{suffix}",
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "moderation_dev.devkafka.smoke",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        return await _exchange(bootstrap, source, sink, count, wait_s)
    finally:
        worker.terminate()
        try:
            await asyncio.wait_for(worker.wait(), 20)
        except TimeoutError:
            worker.kill()
            await worker.wait()


async def _exchange(
    bootstrap: str, source: str, sink: str, count: int, wait_s: float
) -> list[bytes]:
    consumer = AIOKafkaConsumer(sink, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    try:
        for index in range(count):
            await producer.send_and_wait(source, f"hello {index}".encode(), key=str(index).encode())
        received: list[bytes] = []
        deadline = time.monotonic() + wait_s
        while len(received) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                received.extend(m.value for m in messages if m.key != b"__init__" and m.value)
        return received
    finally:
        await producer.stop()
        await consumer.stop()


def _worker_main() -> None:
    app = build_app(
        os.environ["SMOKE_BOOTSTRAP"],
        os.environ["SMOKE_IN"],
        os.environ["SMOKE_OUT"],
        os.environ["SMOKE_APP_ID"],
    )
    app.main()  # faust's own CLI; argv carries "worker"


if __name__ == "__main__":
    sys.argv = [
        sys.argv[0],
        "worker",
        "--loglevel",
        os.environ.get("SMOKE_LOGLEVEL", "warn"),
        "--without-web",
    ]
    _worker_main()
