"""The console's aiohttp application and the background work that runs beside it."""

from __future__ import annotations

from aiohttp import web

from moderation.console.routes import add_routes
from moderation.console.security import STATE, security_middleware
from moderation.console.state import ConsoleState

MAX_REQUEST_BYTES = 256 * 1024


def build_app(state: ConsoleState) -> web.Application:
    app = web.Application(middlewares=[security_middleware], client_max_size=MAX_REQUEST_BYTES)
    app[STATE] = state
    add_routes(app)
    return app
