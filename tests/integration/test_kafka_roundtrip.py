"""The local broker is a real Kafka: aiokafka and a faust agent both talk to it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from moderation_dev.devkafka.probe import kafka_answers, parse_bootstrap
from moderation_dev.devkafka.smoke import run_smoke


async def test_aiokafka_produce_then_consume(
    kafka_bootstrap: str, unique_name: Callable[[str], str]
) -> None:
    topic = unique_name("roundtrip")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for index in range(10):
            await producer.send_and_wait(topic, f"v{index}".encode(), key=b"same-key")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=unique_name("group"),
        auto_offset_reset="earliest",
    )
    await consumer.start()
    received: list[bytes] = []
    try:
        while len(received) < 10:
            batch = await consumer.getmany(timeout_ms=5000)
            assert batch, "no messages arrived within 5 s"
            for messages in batch.values():
                received.extend(message.value for message in messages)
    finally:
        await consumer.stop()
    assert received == [f"v{index}".encode() for index in range(10)]


async def test_faust_agent_transforms_messages(kafka_bootstrap: str) -> None:
    received = await run_smoke(kafka_bootstrap, count=5, wait_s=60)
    assert sorted(received) == [f"HELLO {index}".encode() for index in range(5)]


def test_cli_up_is_idempotent_and_down_stops_its_broker(port_factory: Callable[[], int]) -> None:
    port = str(port_factory())
    first = _moderation("dev", "kafka", "up", "--port", port)
    assert first.returncode == 0, first.stderr
    assert "started at" in first.stdout
    try:
        again = _moderation("dev", "kafka", "up", "--port", port)
        assert again.returncode == 0, again.stderr
        assert "already running" in again.stdout
        status = _moderation("dev", "kafka", "status", "--port", port)
        assert status.returncode == 0
        assert "answers; started by this project" in status.stdout
    finally:
        down = _moderation("dev", "kafka", "down", "--port", port)
    assert down.returncode == 0
    assert "stopped the broker" in down.stdout
    assert not kafka_answers("127.0.0.1", int(port))
    after = _moderation("dev", "kafka", "status", "--port", port)
    assert after.returncode == 1
    assert "no answer" in after.stdout


def _moderation(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    return subprocess.run(
        [sys.executable, "-m", "moderation.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_probe_sees_the_session_broker(kafka_bootstrap: str) -> None:
    assert any(kafka_answers(host, port) for host, port in parse_bootstrap(kafka_bootstrap))
