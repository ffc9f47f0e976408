"""The console process against the real broker and PostgreSQL: ingest, dead letters, outbox."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import create_engine, func, select

from moderation.console.models import Task
from moderation.console.samples import sample_task
from moderation_contracts import dump_payload
from tests.integration.console.console_process_harness import ConsoleProcess
from tests.integration.pipeline_harness import publish

pytestmark = pytest.mark.integration


def _topics(unique_name: Callable[[str], str]) -> dict[str, str]:
    return {
        "human_review": unique_name("review"),
        "human_decisions": unique_name("decisions"),
        "deadletter": unique_name("dlq"),
    }


async def _read(bootstrap: str, topic: str, count: int, timeout: float = 30) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[Any] = []
    try:
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                found.extend(messages)
    finally:
        await consumer.stop()
    return found


def _count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(Task)).scalar() or 0)
    finally:
        engine.dispose()


async def _wait_for_tasks(url: str, expected: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(_count, url) >= expected:
            return
        await asyncio.sleep(0.3)
    raise TimeoutError(f"the console did not store {expected} tasks in {timeout}s")


async def test_ingest_is_idempotent_dead_letters_bad_records_and_decisions_leave_once(
    kafka_bootstrap: str,
    postgres_url: str,
    unique_name: Callable[[str], str],
    console_factory: Callable[..., ConsoleProcess],
) -> None:
    topics = _topics(unique_name)
    console = console_factory(postgres_url, topics)
    console.cli("migrate")
    console.cli("add-user", "rita", "--tenants", "acme", "--no-password")
    token = console.cli("add-token", "rita")
    tasks = [sample_task(n, text=f"ingest content {n}") for n in range(5)]
    records = [(t.content_id.encode(), dump_payload(t)) for t in tasks]
    broken = b'{"task_id": "no-request", "schema_version": "1.0"}'
    await publish(kafka_bootstrap, topics["human_review"], [*records, records[0], (b"x", broken)])
    await asyncio.to_thread(console.start)
    await _wait_for_tasks(postgres_url, 5)

    letters = await _read(kafka_bootstrap, topics["deadletter"], 1)
    assert len(letters) == 1
    letter = json.loads(letters[0].value)
    assert base64.b64decode(letter["original_value_b64"]) == broken
    assert letter["error_code"] == "schema_mismatch"
    assert letter["stage"] == "console-ingest"

    # A restart re-reads nothing twice: offsets were committed after the database commit.
    console.stop()
    await publish(kafka_bootstrap, topics["human_review"], [records[1]])
    await asyncio.to_thread(console.start)
    await asyncio.sleep(2)
    assert await asyncio.to_thread(_count, postgres_url) == 5

    claimed = await asyncio.to_thread(console.api, token, "POST", "/api/queue/next")
    task_id = claimed["task_id"]
    body = {"action": "remove", "categories": [{"category": "harassment", "severity": "high"}]}
    await asyncio.to_thread(console.api, token, "POST", f"/api/tasks/{task_id}/decision", body)
    published = await _read(kafka_bootstrap, topics["human_decisions"], 1)
    assert len(published) == 1
    decision = json.loads(published[0].value)
    assert published[0].key == claimed["content_id"].encode()
    assert decision["task_id"] == task_id
    assert decision["action"] == "remove"
    assert decision["reviewer_id"] == "rita"
    stats_deadline = time.monotonic() + 10
    while time.monotonic() < stats_deadline:
        metrics = await asyncio.to_thread(
            lambda: urllib.request.urlopen(console.url + "/metrics", timeout=5).read().decode()  # noqa: S310
        )
        if "console_outbox_unsent 0.0" in metrics:
            break
        await asyncio.sleep(0.3)
    assert "console_outbox_unsent 0.0" in metrics
    assert "ingest content" not in metrics
    assert "ingest content" not in console.log()
