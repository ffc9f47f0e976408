"""Fakes for the StageRunner tests: records, a controllable broker, handlers held at a gate."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moderation.streaming.records import Headers, Inbound, Outbound, Outcome
from moderation.streaming.runner import RunnerConfig

TOPIC = "in"


def record(offset: int, partition: int = 0, key: bytes | None = None) -> Inbound:
    """A record of topic ``in``; its key defaults to one per offset (no key ordering)."""
    return Inbound(
        topic=TOPIC,
        partition=partition,
        offset=offset,
        key=key if key is not None else b"k%d-%d" % (partition, offset),
        value=str(offset).encode(),
    )


def config(window: int = 8, deadline: float = 30.0) -> RunnerConfig:
    return RunnerConfig(
        stage="t", group="g", window=window, item_deadline_s=deadline, send_retry_max_s=0.01
    )


def echo(inbound: Inbound) -> Outcome:
    """One output carrying the input's value."""
    return Outcome((Outbound("out", b"k", inbound.value or b"", route="echo"),), "echo")


def dead_letter(inbound: Inbound, error: BaseException) -> Outcome:
    body = f"dlq {inbound.partition}@{inbound.offset} {type(error).__name__}".encode()
    return Outcome((Outbound("dlq", b"k", body, route="dlq"),), "dlq")


@dataclass
class Broker:
    """A sender that keeps what it was given; while ``up`` is False every send fails."""

    up: bool = True
    sent: list[tuple[str, bytes]] = field(default_factory=list)
    headers: list[Headers] = field(default_factory=list)
    attempts: int = 0

    async def send(self, record: Outbound, headers: Headers) -> tuple[int, int]:
        self.attempts += 1
        if not self.up:
            raise ConnectionError("broker away")
        self.sent.append((record.topic, record.value))
        self.headers.append(headers)
        return 0, len(self.sent) - 1

    def values(self, topic: str = "out") -> list[bytes]:
        return [value for name, value in self.sent if name == topic]


@dataclass
class Gates:
    """A handler whose item at each offset waits until the test opens its gate."""

    opened: dict[int, asyncio.Event] = field(default_factory=dict)
    started: list[int] = field(default_factory=list)
    done: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    running: int = 0
    peak: int = 0

    def gate(self, offset: int) -> asyncio.Event:
        return self.opened.setdefault(offset, asyncio.Event())

    def open(self, *offsets: int) -> None:
        for offset in offsets:
            self.gate(offset).set()

    async def handle(self, inbound: Inbound) -> Outcome:
        self.started.append(inbound.offset)
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await self.gate(inbound.offset).wait()
        except asyncio.CancelledError:
            self.cancelled.append(inbound.offset)
            raise
        finally:
            self.running -= 1
        self.done.append(inbound.offset)
        return echo(inbound)


async def until(condition: Callable[[], bool], what: str, limit_s: float = 5.0) -> None:
    """Let the event loop run until ``condition`` holds; fail naming ``what`` if it never does.

    The limit only stops a broken test from hanging; no assertion depends on how long it took.
    """
    try:
        async with asyncio.timeout(limit_s):
            # The conditions are the runner's own state, which signals no event to wait on.
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.001)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


async def turns(count: int = 50) -> None:
    """Give every ready task of the event loop ``count`` chances to run."""
    for _ in range(count):
        await asyncio.sleep(0)


async def still_waiting(task: asyncio.Task[Any]) -> bool:
    """Whether ``task`` is still not done after everything ready had its chances to run."""
    await turns()
    return not task.done()
