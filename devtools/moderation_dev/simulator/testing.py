"""Run the simulator inside the current event loop, for tests and the load test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from moderation_dev.simulator.app import SIMULATOR_KEY, create_app
from moderation_dev.simulator.config import SimConfig
from moderation_dev.simulator.core import Simulator
from moderation_dev.simulator.stats import StatsSnapshot


@dataclass(frozen=True)
class RunningSimulator:
    """A live simulator: point ``anthropic.AsyncAnthropic(base_url=...)`` at ``base_url``."""

    base_url: str
    simulator: Simulator

    def stats(self) -> StatsSnapshot:
        """The same dict as ``GET /_sim/stats``."""
        return self.simulator.stats.snapshot()

    def reset(self) -> None:
        """The same as ``POST /_sim/reset``."""
        self.simulator.reset()


def _bound_port(site: web.TCPSite) -> int:
    server = site._server  # aiohttp exposes the bound socket only here
    assert server is not None
    sockets = getattr(server, "sockets", None) or ()
    for sock in sockets:
        port: int = sock.getsockname()[1]
        return port
    raise RuntimeError("simulator did not bind a socket")


@asynccontextmanager
async def running_simulator(
    config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[RunningSimulator]:
    """Serve the simulator on ``host:port`` (0 = a free port) until the block exits."""
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = _bound_port(site)
        yield RunningSimulator(f"http://{host}:{bound}", app[SIMULATOR_KEY])
    finally:
        await runner.cleanup()
