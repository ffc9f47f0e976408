"""Side services the worker runs next to its stages, as children of the faust app (mode
services): they start with the app and stop after its own ``on_stop`` (the drain)."""

from __future__ import annotations

import asyncio
import contextlib

import anthropic
from mode import Service

from moderation.policy import LivePolicies
from moderation.worker.http import HealthServer


class HealthService(Service):
    """The /livez, /readyz, /metrics server (:mod:`moderation.worker.http`)."""

    def __init__(self, server: HealthServer) -> None:
        super().__init__()
        self._server = server

    async def on_start(self) -> None:
        await self._server.start()

    async def on_stop(self) -> None:
        await self._server.stop()


class PolicyWatchService(Service):
    """Reloads the policy file when it changes (polled) or on SIGHUP."""

    def __init__(self, policies: LivePolicies, interval_s: float) -> None:
        super().__init__()
        self._policies = policies
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def on_start(self) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(
            NotImplementedError, RuntimeError
        ):  # no signals off the main thread
            self._policies.reload_on_sighup(loop)
        if self._interval_s > 0 and self._policies.path is not None:
            self._task = loop.create_task(self._policies.watch(self._interval_s))

    async def on_stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class ModelClientsService(Service):
    """Closes the model clients' connection pools when the worker stops (after the drain), so
    no session is left for the garbage collector to complain about."""

    def __init__(self, clients: list[anthropic.AsyncAnthropic]) -> None:
        super().__init__()
        self._clients = clients

    async def on_stop(self) -> None:
        for client in self._clients:
            with contextlib.suppress(Exception):  # best effort: the process is ending
                await client.close()
