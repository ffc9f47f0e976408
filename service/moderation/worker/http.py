"""The worker's own HTTP server: exactly ``/livez``, ``/readyz`` and ``/metrics``.

faust's built-in web server is off (``web_enabled=False``): its blueprints serve the app's
internals (tables, topology, sensors) to anyone who can reach the port. This small aiohttp app
answers ``GET``/``HEAD`` on three paths and ``404`` with an empty body on every other path, so
nothing moderated can leak through it. Bind address and port are settings
(``MODERATION_WEB_HOST``, ``MODERATION_WEB_PORT``; port 0 = no server).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler

from moderation.telemetry import MetricsPage

_log = logging.getLogger(__name__)

PATHS = ("/livez", "/readyz", "/metrics")


@dataclass(frozen=True)
class HealthChecks:
    """What the pages report; each callable is cheap and never sees content."""

    live: Callable[[], str | None]
    """None when alive, else why the orchestrator should restart the worker."""
    ready: Callable[[], tuple[bool, str]]
    """Whether to route work here, and a short reason."""
    metrics: Callable[[], MetricsPage]


def make_app(checks: HealthChecks) -> web.Application:
    """The aiohttp application: three pages, an empty 404 for everything else."""

    async def livez(_request: web.Request) -> web.Response:
        problem = checks.live()
        if problem is not None:
            return web.json_response({"status": "stalled", "detail": problem}, status=503)
        return web.json_response({"status": "alive"})

    async def readyz(_request: web.Request) -> web.Response:
        ready, detail = checks.ready()
        return web.json_response({"ready": ready, "detail": detail}, status=200 if ready else 503)

    async def metrics(_request: web.Request) -> web.Response:
        page = checks.metrics()
        return web.Response(body=page.body, headers={"Content-Type": page.content_type})

    @web.middleware
    async def only_known_paths(request: web.Request, handler: Handler) -> web.StreamResponse:
        # aiohttp's own 404/405 pages echo the path and method; answer with nothing instead.
        if request.path not in PATHS or request.method not in ("GET", "HEAD"):
            return web.Response(status=404)
        return await handler(request)

    app = web.Application(middlewares=[only_known_paths])
    for path, page in zip(PATHS, (livez, readyz, metrics), strict=True):
        app.router.add_get(path, page)
    return app


class HealthServer:
    """Runs :func:`make_app` on ``host:port``; ``start``/``stop`` from the worker's loop."""

    def __init__(self, checks: HealthChecks, host: str, port: int) -> None:
        self._app = make_app(checks)
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        """The bound port once started (useful with port 0 in tests)."""

    async def start(self) -> None:
        runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        self.port = _bound_port(site, self._port)
        _log.info(
            "health and metrics on http://%s:%d (%s)", self._host, self.port, ", ".join(PATHS)
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def _bound_port(site: web.TCPSite, configured: int) -> int:
    """The port the site listens on; aiohttp keeps the bound server socket privately."""
    server = getattr(site, "_server", None)
    sockets = getattr(server, "sockets", None) or ()
    return int(sockets[0].getsockname()[1]) if sockets else configured
