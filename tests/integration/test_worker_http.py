"""The worker's HTTP port serves exactly /livez, /readyz and /metrics; nothing else answers,
least of all the open human-review tasks (which hold the user's text)."""

from __future__ import annotations

import asyncio
import re
import time
import urllib.error
import urllib.request

import pytest

from tests.integration.pipeline_harness import Outcomes, Pipeline, collect, publish, request

pytestmark = pytest.mark.integration

SECRET = "the-secret-user-text-7f3a"
ITEMS = ("open-task-1", "open-task-2")


def fetch(port: int, path: str, method: str = "GET") -> tuple[int, bytes]:
    call = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(call, timeout=5) as answer:  # noqa: S310 - http literal
            return int(answer.status), bytes(answer.read())
    except urllib.error.HTTPError as error:
        return int(error.code), bytes(error.read())


def probes(content_id: str) -> list[str]:
    """faust's blueprint paths and a few guesses; every one must 404 with no body."""
    return [
        "/",
        f"/table/open-tasks/{content_id}/",
        f"/table/open-tasks/{content_id}",
        "/table/open-tasks/",
        "/table/verdict-cache/",
        "/table/",
        "/tables/",
        "/router/",
        "/router/topics",
        "/router/topics/",
        f"/router/open-tasks/{content_id}/",
        "/graph/",
        "/stats/",
        "/assignment/",
        "/boot/",
        "/signal/",
        "/livez/",
        "/metrics/extra",
        "/readyz/../table/open-tasks/",
        "/static/",
        "/favicon.ico",
    ]


def tasks_registered(port: int) -> int:
    """How many tasks finalize registered, from the worker's own metrics."""
    _, page = fetch(port, "/metrics")
    pattern = r'moderation_items_total\{[^}]*route="task_open"[^}]*\} ([0-9.]+)'
    return int(sum(float(m) for m in re.findall(pattern, page.decode())))


async def test_only_the_three_pages_answer_and_no_content_comes_back(pipeline: Pipeline) -> None:
    worker = pipeline.worker()
    await asyncio.to_thread(worker.start)
    text = f"[[sim: all=flag:violence:high]] {SECRET} I will hurt you"
    await publish(pipeline.bootstrap, pipeline.topics.requests, [request(c, text) for c in ITEMS])

    def both_tasks(outcomes: Outcomes) -> bool:
        return all(outcomes.tasks.get(c) for c in ITEMS)

    await collect(pipeline.bootstrap, pipeline.topics, both_tasks, 60)
    deadline = time.monotonic() + 30
    while tasks_registered(worker.web_port) < len(ITEMS):  # the worker holds both open tasks
        assert time.monotonic() < deadline, "finalize never registered the tasks"
        await asyncio.sleep(0.5)

    port = worker.web_port
    for path in probes(ITEMS[0]):
        status, body = await asyncio.to_thread(fetch, port, path)
        assert (path, status, body) == (path, 404, b"")
    for method in ("POST", "PUT", "DELETE"):
        status, body = await asyncio.to_thread(fetch, port, "/livez", method)
        assert (method, status, body) == (method, 404, b"")
    for path in ("/livez", "/readyz", "/metrics"):
        status, body = await asyncio.to_thread(fetch, port, path)
        assert status == 200, path
        assert SECRET.encode() not in body
        assert b"open-task-1" not in body, "no content ids either"
