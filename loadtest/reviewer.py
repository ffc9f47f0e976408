"""``--reviewer``: answer every human-review task the way a librdkafka-based tool would.

The answer goes to the partition librdkafka's default partitioner (CRC32) picks for the key, not
the one the service's own producer (murmur2) uses, so the run shows that finalize does not rely on
reviewers' clients partitioning like the service. The run then waits until every answered item
has its human final decision, and reports answers dead-lettered as ``no_open_task``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from loadtest.chaos.partitioner import librdkafka_partition
from moderation.settings import TopicNames
from moderation_contracts import HumanAction, HumanDecision, dump_payload

Send = Callable[[str, bytes, bytes, int], Awaitable[None]]
"""(topic, key, value, partition): publish one answer and wait for the broker."""


async def _nothing() -> None:
    return None


@dataclass
class Reviewer:
    topics: TopicNames
    partitions: int
    send: Send
    close: Callable[[], Awaitable[None]] = _nothing
    answered: set[str] = field(default_factory=set)
    finalized: set[str] = field(default_factory=set)
    no_open_task: int = 0
    _pending: set[asyncio.Task[None]] = field(default_factory=set)

    def on_record(self, topic: str, data: dict[str, object]) -> None:
        """Called for every record the run reads (tasks, decisions, dead letters)."""
        if topic == self.topics.human_review:
            self._answer(data)
        elif topic == self.topics.decisions:
            if data.get("final") and data.get("decided_by") == "human":
                self.finalized.add(str(data["content_id"]))
        elif topic == self.topics.deadletter and data.get("error_code") == "no_open_task":
            self.no_open_task += 1

    def settled(self) -> bool:
        """Every answered item has its human final decision."""
        return self.answered <= self.finalized

    def figures(self) -> dict[str, int]:
        return {
            "answered": len(self.answered),
            "finalized": len(self.answered & self.finalized),
            "no_open_task": self.no_open_task,
        }

    async def wait_sent(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending)

    def _answer(self, data: dict[str, object]) -> None:
        request = data.get("request")
        if not isinstance(request, dict) or request.get("content_id") in self.answered:
            return
        content_id, tenant_id = str(request["content_id"]), str(request["tenant_id"])
        self.answered.add(content_id)
        answer = HumanDecision(
            content_id=content_id,
            tenant_id=tenant_id,
            task_id=str(data["task_id"]),
            reviewer_id="loadtest-reviewer",
            action=HumanAction.ALLOW,
        )
        key = content_id.encode()
        task = asyncio.create_task(
            self.send(
                self.topics.human_decisions,
                key,
                dump_payload(answer),
                librdkafka_partition(key, self.partitions),
            )
        )
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
