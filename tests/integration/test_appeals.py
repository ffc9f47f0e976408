"""Issue 15: the appeal stage on the real broker. Appeals may come from any client: some are
published with librdkafka's default partitioner (CRC32), as a kcat-based tool would."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from moderation_contracts import (
    AppealDecision,
    AppealOutcome,
    AppealVerdict,
    Payload,
    StatementOfReasons,
    dump_payload,
)
from moderation_contracts import examples as ex
from moderation_contracts.examples import appeal_examples
from tests.integration.appeal_harness import (
    AppealRecords,
    appeal_of,
    read_appeal_records,
    removed_decision,
)
from tests.integration.pipeline_harness import Pipeline, publish

pytestmark = pytest.mark.integration


async def publish_crc32(pipeline: Pipeline, topic: str, items: list[Payload]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=pipeline.bootstrap, acks="all")
    await producer.start()
    try:
        for item in items:
            key = str(getattr(item, "content_id")).encode()  # noqa: B009 - every payload here has it
            partition = zlib.crc32(key) % pipeline.partitions
            await producer.send_and_wait(topic, dump_payload(item), key=key, partition=partition)
    finally:
        await producer.stop()


def decided(*appeal_ids: str) -> Callable[[AppealRecords], bool]:
    return lambda r: all(r.outcome(a) is not None for a in appeal_ids)


async def test_valid_late_duplicate_and_unknown_appeals_each_get_their_answer(
    pipeline: Pipeline,
) -> None:
    pipeline.partitions = 4
    # The killed worker's group membership lapses after its session timeout: keep it short.
    first = pipeline.worker(stages="appeal", MODERATION_SESSION_TIMEOUT_S="6")
    await asyncio.to_thread(first.start)
    await publish(
        pipeline.bootstrap,
        pipeline.topics.decisions,
        [
            (b"ok-1", dump_payload(removed_decision("ok-1"))),
            (b"late-1", dump_payload(removed_decision("late-1", days_ago=200))),
        ],
    )
    # The statements show the decisions were read; then the worker dies and another takes over:
    # the last final decision of each item must survive it.
    await read_appeal_records(
        pipeline.bootstrap, pipeline.topics, lambda r: len(r.statements) == 2, 60
    )
    first.kill()
    # An appeal of an unknown item waits this long for its decision, then is answered.
    second = pipeline.worker(stages="appeal", MODERATION_APPEAL__UNKNOWN_WAIT_S="2")
    await asyncio.to_thread(second.start)
    await publish_crc32(
        pipeline,
        pipeline.topics.appeals,
        [
            appeal_of("ok-1", "ap-valid"),
            appeal_of("late-1", "ap-late"),
            appeal_of("nobody-1", "ap-unknown"),
        ],
    )
    records = await read_appeal_records(
        pipeline.bootstrap, pipeline.topics, decided("ap-valid", "ap-late", "ap-unknown"), 60
    )
    await publish_crc32(pipeline, pipeline.topics.appeals, [appeal_of("ok-1", "ap-again")])
    records = await read_appeal_records(
        pipeline.bootstrap, pipeline.topics, decided("ap-again"), 60
    )

    valid = records.outcome("ap-valid")
    assert valid is not None
    assert (valid["status"], valid["decision_id"]) == ("received", "d-ok-1")
    (task,) = records.tasks["ok-1"]
    assert task["excluded_reviewers"] == ["rev-7"]
    assert task["appeal"]["reason"] == "It was a quote, not a threat."
    assert task["original"]["rationale"] == ex.final_decision().rationale
    for appeal_id, rejection in (
        ("ap-late", "late"),
        ("ap-unknown", "unknown_item"),
        ("ap-again", "duplicate"),
    ):
        answer = records.outcome(appeal_id)
        assert answer is not None
        assert (answer["status"], answer["rejection"]) == ("rejected", rejection)
        assert answer["reason"]
    assert records.tasks.get("late-1", []) == []
    assert records.dead_letters == []
    assert {s["puid"] for items in records.statements.values() for s in items} == {
        "d-ok-1",
        "d-late-1",
    }


async def test_the_original_reviewer_cannot_decide_and_another_one_overturns(
    pipeline: Pipeline,
) -> None:
    worker = pipeline.worker(stages="appeal")
    await asyncio.to_thread(worker.start)
    await publish(
        pipeline.bootstrap,
        pipeline.topics.decisions,
        [(b"rx-1", dump_payload(removed_decision("rx-1", reviewer="rev-7")))],
    )
    await publish_crc32(pipeline, pipeline.topics.appeals, [appeal_of("rx-1", "ap-rx")])
    await read_appeal_records(pipeline.bootstrap, pipeline.topics, decided("ap-rx"), 60)

    def answer(reviewer: str) -> AppealDecision:
        return AppealDecision(
            appeal_id="ap-rx",
            task_id="appeal-ap-rx",
            content_id="rx-1",
            tenant_id="acme",
            reviewer_id=reviewer,
            outcome=AppealVerdict.OVERTURNED,
            reason="A quote, reported by its target.",
        )

    await publish_crc32(pipeline, pipeline.topics.appeal_decisions, [answer("rev-7")])
    records = await read_appeal_records(
        pipeline.bootstrap, pipeline.topics, lambda r: bool(r.dead_letters), 60
    )
    assert records.dead_letters[0]["error_code"] == "reviewer_excluded"
    assert records.outcome("ap-rx", "overturned") is None

    await publish_crc32(pipeline, pipeline.topics.appeal_decisions, [answer("rev-12")])
    records = await read_appeal_records(
        pipeline.bootstrap,
        pipeline.topics,
        lambda r: r.outcome("ap-rx", "overturned") is not None,
        60,
    )
    superseding = [d for d in records.decisions["rx-1"] if d.get("supersedes")]
    assert len(superseding) == 1
    assert superseding[0]["supersedes"] == "d-rx-1"
    assert (superseding[0]["status"], superseding[0]["reviewer_id"]) == ("allowed", "rev-12")


async def test_statements_export_and_appeals_report_read_the_topics(pipeline: Pipeline) -> None:
    names = pipeline.topics
    base = next(e for e in appeal_examples() if isinstance(e, StatementOfReasons))
    now = datetime.now(UTC)
    statements = [
        base.model_copy(update={"puid": f"d-{n}", "created_at": now - timedelta(days=n % 3)})
        for n in range(320)
    ]
    await publish(
        pipeline.bootstrap,
        names.statements,
        [(s.content_id.encode(), dump_payload(s)) for s in [*statements, statements[0]]],
    )
    outcome = next(e for e in appeal_examples() if isinstance(e, AppealOutcome))
    await publish(
        pipeline.bootstrap,
        names.appeal_outcomes,
        [(b"c", dump_payload(outcome.model_copy(update={"tenant_id": "acme-report"})))],
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")},
        "KAFKA_BOOTSTRAP_SERVERS": pipeline.bootstrap,
        "MODERATION_TOPICS__STATEMENTS": names.statements,
        "MODERATION_TOPICS__APPEAL_OUTCOMES": names.appeal_outcomes,
    }
    since = (now - timedelta(days=1)).date().isoformat()  # days 0 and 1 of the three
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "moderation.cli", "statements", "export", "--since", since],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    batches = [json.loads(line) for line in done.stdout.splitlines()]
    expected = sum(1 for s in statements if s.created_at.date().isoformat() >= since)
    assert expected == 214  # days 0 and 1 of each three
    assert [len(b["statements"]) for b in batches] == [100, 100, 14]
    assert "exported 214 statements in 3 batches (1 duplicates skipped" in done.stderr
    report = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "moderation.cli", "report", "appeals"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.returncode == 0, report.stderr
    (row,) = [line for line in report.stdout.splitlines() if line.startswith("acme-report")]
    assert row.split()[1:] == ["1", "0", "0", "1", "5.0", "100.0%"]


async def latest_states(
    pipeline: Pipeline, until: Callable[[dict[str, bytes | None]], bool]
) -> dict[str, bytes | None]:
    """The appeal-state topic from the beginning, each item's last value (None: a tombstone),
    read until ``until`` holds."""
    consumer = AIOKafkaConsumer(
        pipeline.topics.appeal_state,
        bootstrap_servers=pipeline.bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    latest: dict[str, bytes | None] = {}
    await consumer.start()
    try:
        deadline = time.monotonic() + 60
        while not until(latest):
            if time.monotonic() > deadline:
                raise TimeoutError(f"appeal state not as expected after 60 s: {sorted(latest)}")
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                for message in messages:
                    latest[(message.key or b"").decode()] = message.value
    finally:
        await consumer.stop()
    return latest


async def test_a_swept_item_is_tombstoned_and_not_restored_after_a_restart(
    pipeline: Pipeline,
) -> None:
    first = pipeline.worker(
        stages="appeal",
        MODERATION_APPEAL__SWEEP_INTERVAL_S="1",
        MODERATION_APPEAL__STATE_GRACE_DAYS="0",
    )
    await asyncio.to_thread(first.start)
    await publish(
        pipeline.bootstrap,
        pipeline.topics.decisions,
        [
            (b"old-1", dump_payload(removed_decision("old-1", days_ago=200))),
            (b"kept-1", dump_payload(removed_decision("kept-1"))),
        ],
    )
    states = await latest_states(
        pipeline, lambda s: "kept-1" in s and "old-1" in s and s["old-1"] is None
    )
    assert states["kept-1"] is not None, "an item within its window stays"
    assert first.stop() == 0
    # The next owner restores the state topic (tombstones included) and does not sweep soon.
    second = pipeline.worker(stages="appeal", MODERATION_APPEAL__UNKNOWN_WAIT_S="2")
    await asyncio.to_thread(second.start)
    await publish_crc32(
        pipeline,
        pipeline.topics.appeals,
        [appeal_of("old-1", "ap-old"), appeal_of("kept-1", "ap-kept")],
    )
    records = await read_appeal_records(
        pipeline.bootstrap, pipeline.topics, decided("ap-old", "ap-kept"), 60
    )
    kept = records.outcome("ap-kept")
    assert kept is not None
    assert kept["status"] == "received", "the kept item was restored"
    old = records.outcome("ap-old")
    assert old is not None
    # Without the sweep this appeal would be answered late: the restored state lacks the item.
    assert (old["status"], old["rejection"]) == ("rejected", "unknown_item")
    assert records.dead_letters == []


async def test_an_appeal_read_before_its_decision_waits_for_it_across_a_restart(
    pipeline: Pipeline,
) -> None:
    """The appeals topic may be read ahead of the decisions topic (another client, a lagging
    partition): the appeal waits in the item's state, a new owner restores it, and the
    decision's arrival answers it as if it had come first."""
    pipeline.partitions = 4
    first = pipeline.worker(stages="appeal", MODERATION_SESSION_TIMEOUT_S="6")
    await asyncio.to_thread(first.start)
    await publish_crc32(pipeline, pipeline.topics.appeals, [appeal_of("early-1", "ap-early")])

    def waiting(states: dict[str, bytes | None]) -> bool:
        value = states.get("early-1")
        return value is not None and json.loads(value)["waiting"] != []

    await latest_states(pipeline, waiting)
    first.kill()
    second = pipeline.worker(stages="appeal")
    await asyncio.to_thread(second.start)
    await publish(
        pipeline.bootstrap,
        pipeline.topics.decisions,
        [(b"early-1", dump_payload(removed_decision("early-1")))],
    )
    records = await read_appeal_records(
        pipeline.bootstrap, pipeline.topics, decided("ap-early"), 60
    )
    answer = records.outcome("ap-early")
    assert answer is not None
    assert (answer["status"], answer["decision_id"]) == ("received", "d-early-1")
    assert len(records.tasks["early-1"]) == 1
    assert records.dead_letters == []
