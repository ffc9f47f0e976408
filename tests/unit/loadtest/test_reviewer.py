"""The load test's ``--reviewer``: answers on librdkafka's partition, counts what came back."""

from __future__ import annotations

import asyncio
import zlib

from loadtest.reviewer import Reviewer

from moderation.settings import TopicNames
from moderation_contracts import HumanDecision, parse_payload
from moderation_contracts.examples import human_review_task

TOPICS = TopicNames()


async def test_each_task_is_answered_once_on_the_crc32_partition() -> None:
    sent: list[tuple[str, bytes, bytes, int]] = []

    async def send(topic: str, key: bytes, value: bytes, partition: int) -> None:
        sent.append((topic, key, value, partition))

    reviewer = Reviewer(TOPICS, 7, send)
    task = human_review_task().model_dump(mode="json")
    reviewer.on_record(TOPICS.human_review, task)
    reviewer.on_record(TOPICS.human_review, task)  # a re-delivered task is not answered twice
    await reviewer.wait_sent()
    (topic, key, value, partition) = sent[0]
    assert len(sent) == 1
    assert topic == TOPICS.human_decisions
    assert partition == zlib.crc32(key) % 7
    answer = parse_payload(HumanDecision, value)
    assert (answer.content_id, answer.task_id) == (task["request"]["content_id"], task["task_id"])
    assert not reviewer.settled()


async def test_settled_once_every_answer_has_its_human_final_decision() -> None:
    async def send(topic: str, key: bytes, value: bytes, partition: int) -> None:
        await asyncio.sleep(0)

    reviewer = Reviewer(TOPICS, 4, send)
    task = human_review_task().model_dump(mode="json")
    content_id = task["request"]["content_id"]
    reviewer.on_record(TOPICS.human_review, task)
    reviewer.on_record(TOPICS.decisions, {"content_id": content_id, "final": False})
    reviewer.on_record(
        TOPICS.decisions, {"content_id": content_id, "final": True, "decided_by": "sonnet"}
    )
    assert not reviewer.settled(), "only a human final decision settles an answered item"
    reviewer.on_record(
        TOPICS.decisions, {"content_id": content_id, "final": True, "decided_by": "human"}
    )
    reviewer.on_record(TOPICS.deadletter, {"error_code": "no_open_task"})
    reviewer.on_record(TOPICS.deadletter, {"error_code": "schema_mismatch"})
    await reviewer.wait_sent()
    assert reviewer.settled()
    assert reviewer.figures() == {"answered": 1, "finalized": 1, "no_open_task": 1}
