"""HTTP routes of the simulated Anthropic API (aiohttp).

``/v1/*`` needs an API key (``x-api-key`` or ``Authorization: Bearer``) and a known
``anthropic-version``; ``/_sim/*`` is the simulator's own control surface.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web

from moderation_dev.simulator.batches import DEFAULT_PAGE, batch_body
from moderation_dev.simulator.config import SimConfig
from moderation_dev.simulator.core import DropConnection, Simulator
from moderation_dev.simulator.errors import ApiError, InvalidRequest
from moderation_dev.simulator.models import listed_models, resolve_model
from moderation_dev.simulator.request import ApiVersion
from moderation_dev.simulator.responses import new_id
from moderation_dev.simulator.validation import SUPPORTED_VERSIONS

SIMULATOR_KEY: web.AppKey[Simulator] = web.AppKey("simulator", Simulator)
VERSION_KEY: web.RequestKey[ApiVersion] = web.RequestKey("api_version", str)  # type: ignore[arg-type]
REJECTED_KEY_PREFIX = "sk-invalid"
"""Keys starting with this are refused (401), as the real API refuses a wrong key."""
MESSAGES_MAX_BYTES = 32 * 1024 * 1024
BATCH_MAX_BYTES = 256 * 1024 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(exc: ApiError, request_id: str) -> web.Response:
    body = {
        "type": "error",
        "error": {"type": exc.error_type, "message": exc.message},
        "request_id": request_id,
    }
    headers = {**exc.headers, "request-id": request_id}
    return web.json_response(body, status=exc.status, headers=headers)


def _authorize(request: web.Request, require_key: bool) -> ApiVersion:
    bearer = request.headers.get("authorization", "")
    has_key = bool(request.headers.get("x-api-key")) or bearer.lower().startswith("bearer ")
    if require_key and not has_key:
        raise ApiError(401, "x-api-key header is required")
    key = request.headers.get("x-api-key") or bearer[len("bearer ") :]
    if key.startswith(REJECTED_KEY_PREFIX):
        raise ApiError(401, "invalid x-api-key")
    version = request.headers.get("anthropic-version")
    if version is None:
        raise InvalidRequest("anthropic-version: header is required")
    for known in SUPPORTED_VERSIONS:
        if version == known:
            return known
    raise InvalidRequest(
        f"anthropic-version: unknown version '{version}'; "
        f"use one of {', '.join(SUPPORTED_VERSIONS)}"
    )


@web.middleware
async def _api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request ids, auth and version checks, and the real error body for every failure."""
    request_id = new_id("req")
    sim = request.app[SIMULATOR_KEY]
    try:
        if request.path.startswith("/v1/"):
            request[VERSION_KEY] = _authorize(request, sim.config.require_api_key)
        response = await handler(request)
    except ApiError as exc:
        sim.stats.error(exc.error_type)
        return _error(exc, request_id)
    except DropConnection:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=499)  # never reaches the client: the socket is gone
    response.headers["request-id"] = request_id
    return response


async def _json_body(request: web.Request, limit: int) -> object:
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, f"Request exceeds the maximum allowed size of {limit} bytes")
    raw = await request.read()
    if len(raw) > limit:
        raise ApiError(413, f"Request exceeds the maximum allowed size of {limit} bytes")
    try:
        body: object = json.loads(raw)
    except ValueError as exc:
        raise InvalidRequest(f"body: the request body is not valid JSON ({exc})") from exc
    return body


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def create_message(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR_KEY]
    body = await _json_body(request, MESSAGES_MAX_BYTES)
    reply = await sim.create_message(body, request[VERSION_KEY], request.headers.get("x-simulate"))
    return web.json_response(reply.body, headers=reply.headers)


async def count_tokens(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR_KEY]
    body = await _json_body(request, MESSAGES_MAX_BYTES)
    return web.json_response(sim.count_tokens(body, request[VERSION_KEY]))


async def create_batch(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR_KEY]
    batch = sim.batches.create(await _json_body(request, BATCH_MAX_BYTES))
    sim.stats.batches["created"] += 1
    sim.stats.batches["requests"] += len(batch.requests)
    return web.json_response(batch_body(batch, _base_url(request)))


async def retrieve_batch(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR_KEY]
    batch = sim.batches.get(request.match_info["batch_id"])
    return web.json_response(batch_body(batch, _base_url(request)))


async def list_batches(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR_KEY]
    query = request.query
    try:
        limit = int(query.get("limit", DEFAULT_PAGE))
    except ValueError as exc:
        raise InvalidRequest("limit: Input should be a valid integer") from exc
    page = sim.batches.page(query.get("after_id"), query.get("before_id"), limit)
    data = page["data"]
    assert isinstance(data, list)
    page["data"] = [batch_body(b, _base_url(request)) for b in data]
    return web.json_response(page)


async def cancel_batch(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR_KEY]
    batch = sim.batches.cancel(request.match_info["batch_id"])
    if batch.cancel_initiated is not None:
        sim.stats.batches["canceled"] += 1
    return web.json_response(batch_body(batch, _base_url(request)))


async def delete_batch(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR_KEY]
    body = sim.batches.delete(request.match_info["batch_id"])
    sim.stats.batches["deleted"] += 1
    return web.json_response(body)


async def batch_results(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR_KEY]
    text = sim.batches.results_jsonl(request.match_info["batch_id"])
    return web.Response(text=text, content_type="application/x-jsonl")


async def list_models(request: web.Request) -> web.Response:
    """The free models endpoint clients call to check the key and the URL before any work."""
    data = listed_models()
    return web.json_response(
        {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}
    )


async def retrieve_model(request: web.Request) -> web.Response:
    model_id = request.match_info["model_id"]
    resolve_model(model_id)  # 404 like the real API for an id it would not know
    found = [entry for entry in listed_models() if entry["id"] == model_id]
    body = found[0] if found else {"type": "model", "id": model_id, "display_name": model_id}
    return web.json_response(body)


async def get_stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[SIMULATOR_KEY].stats.snapshot())


async def reset(request: web.Request) -> web.Response:
    request.app[SIMULATOR_KEY].reset()
    return web.json_response({"reset": True})


def create_app(config: SimConfig | None = None) -> web.Application:
    """The aiohttp application; its Simulator is at ``app[SIMULATOR_KEY]``."""
    app = web.Application(middlewares=[_api_middleware], client_max_size=BATCH_MAX_BYTES)
    app[SIMULATOR_KEY] = Simulator(config or SimConfig())
    batches = "/v1/messages/batches"
    app.router.add_post("/v1/messages", create_message)
    app.router.add_post("/v1/messages/count_tokens", count_tokens)
    app.router.add_post(batches, create_batch)
    app.router.add_get(batches, list_batches)
    app.router.add_get(batches + "/{batch_id}", retrieve_batch)
    app.router.add_delete(batches + "/{batch_id}", delete_batch)
    app.router.add_post(batches + "/{batch_id}/cancel", cancel_batch)
    app.router.add_get(batches + "/{batch_id}/results", batch_results)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/models/{model_id}", retrieve_model)
    app.router.add_get("/_sim/stats", get_stats)
    app.router.add_post("/_sim/reset", reset)
    return app
