"""Collect items for a while, send them as one Message Batch, hand each item its result.

Items wait for at most ``max_wait_ms`` (or until ``max_items`` are waiting), then go out as one
``POST /v1/messages/batches``. The batch is polled until it ends and its JSONL results are
matched back by ``custom_id``. Every waiting item is always answered: with its result line, or
with None when the batch could not be created, did not end within ``give_up_s`` or has no line
for it; the caller then falls back to an interactive call, so no item is ever stuck or lost.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from moderation.batch.results import custom_id
from moderation.levers import BatchSettings

_log = logging.getLogger(__name__)


class BatchesApi(Protocol):
    """The part of ``AsyncAnthropic().messages.batches`` batch mode uses."""

    async def create(self, *, requests: Any) -> Any: ...

    async def retrieve(self, message_batch_id: str) -> Any: ...

    async def cancel(self, message_batch_id: str) -> Any: ...

    async def results(self, message_batch_id: str) -> Any: ...


@dataclass
class _Waiting:
    custom_id: str
    params: Mapping[str, Any]
    future: asyncio.Future[Any]


@dataclass
class SubmitterCounters:
    batches: int = 0
    items: int = 0
    failed_batches: int = 0
    unanswered: int = 0


@dataclass
class BatchSubmitter:
    """One collector per tier and process; safe to share between the runner's tasks."""

    api: BatchesApi
    settings: BatchSettings
    counters: SubmitterCounters = field(default_factory=SubmitterCounters)
    _queue: list[_Waiting] = field(default_factory=list)
    _timer: asyncio.TimerHandle | None = None
    _sequence: itertools.count[int] = field(default_factory=itertools.count)
    _running: set[asyncio.Task[None]] = field(default_factory=set)

    async def submit(self, params: Mapping[str, Any]) -> Any:
        """Queue one request; return its batch result (``.type``, ``.message``) or None."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(custom_id(next(self._sequence)), params, loop.create_future())
        self._queue.append(waiting)
        if len(self._queue) >= self.settings.max_items:
            self.flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.settings.max_wait_ms / 1000, self.flush)
        return await waiting.future

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def flush(self) -> None:
        """Send what is queued now (the timer and ``max_items`` call this)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        items, self._queue = self._queue, []
        if not items:
            return
        task = asyncio.get_running_loop().create_task(self._run(items), name="message batch")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def close(self) -> None:
        """Send what is queued and wait for every batch in flight."""
        self.flush()
        if self._running:
            await asyncio.wait(list(self._running))

    async def _run(self, items: list[_Waiting]) -> None:
        results: dict[str, Any] = {}
        batch_id: str | None = None
        try:
            async with asyncio.timeout(self.settings.give_up_s):
                batch = await self.api.create(
                    requests=[{"custom_id": w.custom_id, "params": w.params} for w in items]
                )
                batch_id = str(batch.id)
                self.counters.batches += 1
                self.counters.items += len(items)
                while batch.processing_status != "ended":
                    await asyncio.sleep(self.settings.poll_interval_s)
                    batch = await self.api.retrieve(batch_id)
                async for line in await self.api.results(batch_id):
                    results[line.custom_id] = line.result
        except Exception as error:  # TimeoutError too: the items fall back, nothing is lost
            self.counters.failed_batches += 1
            _log.warning(
                "message batch %s for %d items failed (%s); falling back to interactive calls",
                batch_id or "(not created)",
                len(items),
                type(error).__name__,
            )
            if batch_id is not None:
                await self._cancel_quietly(batch_id)
        finally:
            for waiting in items:
                if not waiting.future.done():
                    result = results.get(waiting.custom_id)
                    if result is None:
                        self.counters.unanswered += 1
                    waiting.future.set_result(result)

    async def _cancel_quietly(self, batch_id: str) -> None:
        try:
            async with asyncio.timeout(5):
                await self.api.cancel(batch_id)
        except Exception as error:  # best effort: the batch expires on its own after 24 h
            _log.info("could not cancel batch %s (%s)", batch_id, type(error).__name__)
