"""``moderation deadletter inspect`` lists dead letters by offset and reason, content on request."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaProducer

from moderation_contracts import DeadLetter, dump_payload

pytestmark = pytest.mark.integration
SECRET_TEXT = "my very private post"


async def _inspect(bootstrap: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")}
    env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    argv = [sys.executable, "-m", "moderation.cli", "deadletter", "inspect", *extra]
    return await asyncio.to_thread(
        subprocess.run, argv, env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def test_inspect_lists_reason_and_offsets_without_the_payload(
    kafka_bootstrap: str, unique_name: Callable[[str], str]
) -> None:
    topic = unique_name("deadletter")
    letter = DeadLetter.capture(
        SECRET_TEXT.encode(),
        b"c-1",
        error_code="invalid_json",
        error_message="not JSON",
        source_topic="moderation.requests.v1",
        source_partition=3,
        source_offset=41,
        stage="triage",
        content_id="c-1",
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, dump_payload(letter), key=b"c-1", partition=0)
    finally:
        await producer.stop()

    listed = await _inspect(kafka_bootstrap, "--topic", topic)
    assert listed.returncode == 0, listed.stderr
    assert "0:0 " in listed.stdout
    assert "[invalid_json] stage=triage content_id=c-1" in listed.stdout
    assert "from moderation.requests.v1[3]@41: not JSON" in listed.stdout
    assert SECRET_TEXT not in listed.stdout
    assert f"{topic}: 1 records, 1 listed" in listed.stdout

    shown = await _inspect(kafka_bootstrap, "--topic", topic, "--show-payload")
    assert f"payload: {SECRET_TEXT}" in shown.stdout

    none = await _inspect(kafka_bootstrap, "--topic", topic, "--error-code", "unknown_tenant")
    assert f"{topic}: 1 records, 0 listed" in none.stdout
