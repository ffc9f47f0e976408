"""Fault injection: bad input. Every invalid message ends on the dead-letter topic with its
original bytes and a clear error code; after the fix, ``moderation deadletter replay`` puts the
chosen ones back and they get their decisions."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from moderation_contracts import dump_payload
from tests.integration.faults_figures import figures, report
from tests.integration.pipeline_harness import Outcomes, Pipeline, collect, request

pytestmark = [pytest.mark.integration, pytest.mark.faults]

POLICY_V1 = """\
require_known_tenants: true
tenants:
  acme: {version: "1"}
"""
POLICY_V2 = POLICY_V1 + '  newco: {version: "1"}\n'


def request_json(content_id: str, tenant: str = "acme", **fields: object) -> bytes:
    body: dict[str, object] = {
        "schema_version": "1.0",
        "content_id": content_id,
        "tenant_id": tenant,
        "text": "hello",
        "submitted_at": "2026-11-24T10:00:00Z",
    }
    body.update(fields)
    return json.dumps(body).encode()


BAD: dict[str, tuple[bytes, str]] = {
    # key: (raw value, expected error code)
    "oversize": (request_json("oversize", text="x" * 1_100_000), "too_large"),
    "big-not-utf8": (b"\xff" * 900_000, "invalid_utf8"),
    "not-utf8": (b"\xc3\x28 broken", "invalid_utf8"),
    "future-major": (request_json("future-major", schema_version="2.0"), "unsupported_version"),
    "no-version": (b'{"content_id": "no-version", "tenant_id": "acme"}', "schema_mismatch"),
    "text-too-long": (request_json("text-too-long", text="y" * 40_000), "schema_mismatch"),
    "not-json": (b"<xml>nope</xml>", "invalid_json"),
    "stranger-1": (request_json("stranger-1", tenant="newco"), "unknown_tenant"),
    "stranger-2": (request_json("stranger-2", tenant="newco"), "unknown_tenant"),
}


async def publish_raw(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", max_request_size=3 * 1024 * 1024
    )
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(topic, value, key=key, headers=[("origin", b"it")])
    finally:
        await producer.stop()


def replay(pipeline: Pipeline, *options: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")}
    env.update(
        {
            "KAFKA_BOOTSTRAP_SERVERS": pipeline.bootstrap,
            "MODERATION_APP_ID": pipeline.app_id,
            "MODERATION_TOPICS__DEADLETTER": pipeline.topics.deadletter,
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "moderation.cli", "deadletter", "replay", *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_bad_input_is_dead_lettered_whole_and_replayable(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY_V1, encoding="utf-8")
    pipeline.partitions = 1  # bad records sit in front of good ones: nothing may block
    worker = pipeline.worker(MODERATION_POLICY_FILE=str(policy))
    await asyncio.to_thread(worker.start)
    good = [request(f"fine-{index}", f"a pleasant note {index}") for index in range(4)]
    records = [(key.encode(), raw) for key, (raw, _) in BAD.items()]
    records += [(item.content_id.encode(), dump_payload(item)) for item in good]
    await publish_raw(pipeline.bootstrap, pipeline.topics.requests, records)

    def settled(outcomes: Outcomes) -> bool:
        return all(outcomes.dead_letter_for(key) for key in BAD) and all(
            outcomes.final(item.content_id) for item in good
        )

    outcomes = await collect(pipeline.bootstrap, pipeline.topics, settled, 60)
    codes = {}
    for key, (raw, _) in BAD.items():
        letter = outcomes.dead_letter_for(key)
        assert letter is not None
        assert base64.b64decode(letter["original_value_b64"]) == raw, f"{key}: bytes kept whole"
        assert letter["error_message"], "the error says what is wrong"
        assert letter["source_topic"] == pipeline.topics.requests
        codes[key] = letter["error_code"]
    assert codes == {key: code for key, (_, code) in BAD.items()}

    # A dry run changes nothing and says what it would do.
    dry = replay(pipeline, "--error-code", "unknown_tenant", "--dry-run")
    assert dry.count("would replay dead letter") == 2
    assert "would replay 2" in dry

    # The fix: the tenant is added to the policy; then the two dead letters are replayed.
    assert worker.stop() == 0
    policy.write_text(POLICY_V2, encoding="utf-8")
    await asyncio.to_thread(pipeline.worker(MODERATION_POLICY_FILE=str(policy)).start)
    said = replay(pipeline, "--error-code", "unknown_tenant", "--since", "1h")
    assert said.count("replayed dead letter") == 2, said
    assert "stranger-1" in said
    assert "scanned" in said

    def replayed(outcomes: Outcomes) -> bool:
        return settled(outcomes) and all(
            outcomes.final(key) for key in ("stranger-1", "stranger-2")
        )

    final = await collect(pipeline.bootstrap, pipeline.topics, replayed, 60)
    made = report(
        figures(
            "bad input + replay",
            [*BAD, *(item.content_id for item in good)],
            final,
            notes="unknown_tenant replayed after the policy fix",
        )
    )
    assert made.lost == ()
    assert final.final("stranger-1")["status"] == "allowed"  # type: ignore[index]
