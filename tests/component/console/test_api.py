"""The JSON API over loopback HTTP: every route, every refusal, tenants and queues."""

from __future__ import annotations

import json
from datetime import timedelta

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from moderation.console.models import OutboxMessage, Task
from moderation.console.samples import sample_task
from moderation_contracts import HumanDecision, Priority, parse_payload
from tests.component.console.console_web_harness import Console

Client = TestClient[object, object]


async def test_every_api_route_refuses_a_caller_without_credentials(
    console: Console, client: Client
) -> None:
    console.add_tasks(sample_task(1, text="secret words"))
    for method, path in (
        ("GET", "/api/me"),
        ("GET", "/api/queue"),
        ("POST", "/api/queue/next"),
        ("GET", "/api/tasks/task-acme-1"),
        ("POST", "/api/tasks/task-acme-1/claim"),
        ("POST", "/api/tasks/task-acme-1/heartbeat"),
        ("POST", "/api/tasks/task-acme-1/release"),
        ("POST", "/api/tasks/task-acme-1/skip"),
        ("POST", "/api/tasks/task-acme-1/decision"),
        ("POST", "/api/appeals/task-acme-1/decision"),
        ("GET", "/api/stats"),
    ):
        answer = await client.request(method, path)
        body = await answer.text()
        assert answer.status == 401, (method, path)
        assert "secret words" not in body


async def test_a_wrong_token_is_refused(client: Client) -> None:
    answer = await client.get("/api/me", headers={"Authorization": "Bearer mct_wrong"})
    assert answer.status == 401


async def test_me_names_role_and_tenants(console: Console, client: Client) -> None:
    answer = await client.get("/api/me", headers=console.headers("rita"))
    assert await answer.json() == {
        "username": "rita",
        "role": "reviewer",
        "tenants": ["acme"],
        "via": "token",
    }


async def test_the_queue_is_ordered_by_priority_then_deadline_then_age(
    console: Console, client: Client
) -> None:
    console.add_tasks(
        sample_task(1, priority=Priority.LOW, deadline_in=timedelta(minutes=5)),
        sample_task(2, priority=Priority.HIGH, deadline_in=timedelta(hours=3)),
        sample_task(3, priority=Priority.HIGH, deadline_in=timedelta(hours=1)),
        sample_task(4, priority=Priority.CRITICAL, deadline_in=timedelta(hours=9)),
        sample_task(5, priority=Priority.HIGH, deadline_in=timedelta(hours=1)),
    )
    answer = await client.get("/api/queue", headers=console.headers("rita"))
    data = await answer.json()
    assert data["total"] == 5
    # 3 and 5 share priority and deadline: the older (3, created first) goes first.
    assert [t["task_id"] for t in data["tasks"]] == [
        "task-acme-4",
        "task-acme-3",
        "task-acme-5",
        "task-acme-2",
        "task-acme-1",
    ]
    assert all("text" not in t for t in data["tasks"])


async def test_reading_or_deciding_another_tenants_task_is_refused(
    console: Console, client: Client
) -> None:
    console.add_tasks(sample_task(1, tenant="globex", text="globex private words"))
    gus, rita = console.headers("gus"), console.headers("rita")
    assert (await client.post("/api/tasks/task-globex-1/claim", headers=gus)).status == 200
    for method, path, body in (
        ("GET", "/api/tasks/task-globex-1", None),
        ("POST", "/api/tasks/task-globex-1/claim", None),
        ("POST", "/api/tasks/task-globex-1/heartbeat", None),
        ("POST", "/api/tasks/task-globex-1/release", None),
        ("POST", "/api/tasks/task-globex-1/skip", None),
        ("POST", "/api/tasks/task-globex-1/decision", {"action": "allow"}),
    ):
        answer = await client.request(method, path, headers=rita, json=body)
        assert answer.status == 404, (method, path)
        assert "globex private words" not in await answer.text()
    queue = await (await client.get("/api/queue", headers=rita)).json()
    assert queue["tasks"] == []
    assert (await client.post("/api/queue/next", headers=rita)).status == 404
    # The admin sees every tenant.
    admin = await client.get("/api/tasks/task-globex-1", headers=console.headers("ada"))
    assert admin.status == 200


async def test_claim_decide_and_the_outbox_message_follows_the_contract(
    console: Console, client: Client
) -> None:
    console.add_tasks(sample_task(1))
    rita = console.headers("rita")
    claimed = await client.post("/api/queue/next", headers=rita)
    assert claimed.status == 200
    body = await claimed.json()
    assert body["task_id"] == "task-acme-1"
    assert body["claimed_by"] == "rita"
    assert body["claimed_at"] is not None
    decision = {
        "action": "remove",
        "categories": [{"category": "harassment", "severity": "high"}],
        "notes": "clear insult",
    }
    answer = await client.post("/api/tasks/task-acme-1/decision", headers=rita, json=decision)
    assert answer.status == 200, await answer.text()
    with console.state.factory() as session:
        message = session.scalars(select(OutboxMessage)).one()
        task = session.scalars(select(Task)).one()
    published = parse_payload(HumanDecision, message.value)
    assert message.topic == "decisions-under-test"
    assert message.key == b"item-1"
    assert message.sent_at is None
    assert published.task_id == "task-acme-1"
    assert published.reviewer_id == "rita"
    assert [c.category for c in published.categories] == ["harassment"]
    assert task.state == "decided"
    assert task.decided_at is not None
    assert console.state.outbox_wake.is_set()
    # A second decision for the same task is refused: never two different decisions.
    again = await client.post(
        "/api/tasks/task-acme-1/decision", headers=rita, json={"action": "allow"}
    )
    assert again.status == 409


async def test_remove_without_categories_and_bad_bodies_are_refused(
    console: Console, client: Client
) -> None:
    console.add_tasks(sample_task(1))
    rita = console.headers("rita")
    await client.post("/api/tasks/task-acme-1/claim", headers=rita)
    path = "/api/tasks/task-acme-1/decision"
    for body, code in (
        ({"action": "remove"}, "invalid_decision"),
        ({"action": "delete"}, "invalid_decision"),
        ({"action": "allow", "categories": "x"}, "invalid_decision"),
        ({"action": "allow", "notes": 5}, "invalid_decision"),
        ([1, 2], "invalid_decision"),
        ({"action": "remove", "categories": [{"category": "BAD CATEGORY!"}]}, "invalid_decision"),
    ):
        answer = await client.post(path, headers=rita, json=body)
        assert answer.status == 400, body
        assert (await answer.json())["error"] == code
    raw = await client.post(path, headers=rita, data=b"{not json", allow_redirects=False)
    assert raw.status == 400
    with console.state.factory() as session:
        assert session.scalars(select(OutboxMessage)).all() == []


async def test_deciding_needs_the_claim(console: Console, client: Client) -> None:
    console.add_tasks(sample_task(1))
    rita, rafa = console.headers("rita"), console.headers("rafa")
    path = "/api/tasks/task-acme-1/decision"
    assert (await client.post(path, headers=rita, json={"action": "allow"})).status == 409
    assert (await client.post("/api/tasks/task-acme-1/claim", headers=rita)).status == 200
    assert (await client.post("/api/tasks/task-acme-1/claim", headers=rafa)).status == 409
    assert (await client.post(path, headers=rafa, json={"action": "allow"})).status == 409
    assert (await client.post("/api/tasks/task-acme-1/release", headers=rafa)).status == 409
    assert (await client.post("/api/tasks/task-acme-1/heartbeat", headers=rafa)).status == 409
    assert (await client.post("/api/tasks/task-acme-1/release", headers=rita)).status == 200
    assert (await client.post("/api/tasks/task-acme-1/claim", headers=rafa)).status == 200


async def test_heartbeat_extends_the_lease(console: Console, client: Client) -> None:
    console.add_tasks(sample_task(1))
    rita = console.headers("rita")
    first = await (await client.post("/api/tasks/task-acme-1/claim", headers=rita)).json()
    beat = await client.post("/api/tasks/task-acme-1/heartbeat", headers=rita)
    assert beat.status == 200
    assert (await beat.json())["lease_expires_at"] >= first["lease_expires_at"]


async def test_skip_never_offers_the_same_task_again_to_that_reviewer(
    console: Console, client: Client
) -> None:
    console.add_tasks(sample_task(1), sample_task(2))
    rita, rafa = console.headers("rita"), console.headers("rafa")
    seen = []
    for _ in range(2):
        claimed = await (await client.post("/api/queue/next", headers=rita)).json()
        seen.append(claimed["task_id"])
        skipped = await client.post(f"/api/tasks/{claimed['task_id']}/skip", headers=rita)
        assert skipped.status == 200
    assert sorted(seen) == ["task-acme-1", "task-acme-2"]
    empty = await client.post("/api/queue/next", headers=rita)
    assert empty.status == 404
    # Another reviewer still gets them.
    assert (await client.post("/api/queue/next", headers=rafa)).status == 200


async def test_escalated_items_go_to_the_senior_queue(console: Console, client: Client) -> None:
    console.add_tasks(sample_task(1, priority=Priority.NORMAL))
    rita, sena = console.headers("rita"), console.headers("sena")
    await client.post("/api/tasks/task-acme-1/claim", headers=rita)
    answer = await client.post(
        "/api/tasks/task-acme-1/decision", headers=rita, json={"action": "escalate"}
    )
    assert answer.status == 200
    # The worker re-queues the item as a new task at higher priority (finalize's contract).
    console.add_tasks(
        sample_task(1, priority=Priority.HIGH, task_id="task-acme-1-e1", content_id="item-1")
    )
    assert (await client.get("/api/queue?queue=senior", headers=rita)).status == 403
    assert (await client.get("/api/tasks/task-acme-1-e1", headers=rita)).status == 404
    senior = await (await client.get("/api/queue?queue=senior", headers=sena)).json()
    assert [t["task_id"] for t in senior["tasks"]] == ["task-acme-1-e1"]
    standard = await (await client.get("/api/queue", headers=sena)).json()
    assert standard["tasks"] == []
    detail = await (await client.get("/api/tasks/task-acme-1-e1", headers=sena)).json()
    assert [t["task_id"] for t in detail["earlier_tasks"]] == ["task-acme-1"]
    assert [e["action"] for e in detail["history"]] == ["claim", "escalate"]


async def test_task_detail_has_everything_needed_to_decide(
    console: Console, client: Client
) -> None:
    console.add_tasks(sample_task(1, image=True, image_url="https://evil.example/x.png"))
    answer = await client.get("/api/tasks/task-acme-1", headers=console.headers("rita"))
    item = await answer.json()
    assert item["text"] == "sample text number 1"
    assert item["triage"]["categories"][0]["category"] == "harassment"
    assert item["review"]["policy_version"] == "2026.11"
    assert item["trace_id"] == f"{1:032x}"
    assert item["cost_usd"] == 0.0
    assert item["attachments"] == [
        {"index": 0, "inline": True, "media_type": "image/png", "url": None},
        {"index": 1, "inline": False, "media_type": None, "url": "https://evil.example/x.png"},
    ]


async def test_unknown_queue_names_and_stats_for_non_admins_are_refused(
    console: Console, client: Client
) -> None:
    rita = console.headers("rita")
    assert (await client.get("/api/queue?queue=vip", headers=rita)).status == 400
    assert (await client.get("/api/stats", headers=rita)).status == 403
    stats = await client.get("/api/stats", headers=console.headers("ada"))
    assert stats.status == 200


async def test_stats_count_pending_overdue_and_decisions(console: Console, client: Client) -> None:
    console.add_tasks(
        sample_task(1, priority=Priority.HIGH, deadline_in=timedelta(seconds=-5)),
        sample_task(2, priority=Priority.LOW),
        sample_task(3, tenant="globex", priority=Priority.LOW),
    )
    rita = console.headers("rita")
    await client.post("/api/tasks/task-acme-2/claim", headers=rita)
    await client.post("/api/tasks/task-acme-2/decision", headers=rita, json={"action": "allow"})
    stats = await (await client.get("/api/stats", headers=console.headers("ada"))).json()
    assert stats["pending_total"] == 2
    assert stats["pending_by_priority"] == {"high": 1, "low": 1}
    assert stats["pending_by_tenant"] == {"acme": 1, "globex": 1}
    assert stats["overdue_by_tenant"] == {"acme": 1}
    assert stats["decisions_last_hour"] == {"decided": 1}
    assert stats["median_handling_s"] is not None
    assert stats["outbox_unsent"] == 1
    metrics = await (await client.get("/metrics")).text()
    assert 'console_tasks_pending{priority="high",queue="standard",tenant="acme"} 1.0' in metrics
    assert 'console_tasks_overdue{tenant="acme"} 1.0' in metrics
    assert "console_outbox_unsent 1.0" in metrics


async def test_operations_routes_answer_without_content(console: Console, client: Client) -> None:
    console.add_tasks(sample_task(1, text="do not leak me"))
    for path in ("/livez", "/readyz", "/metrics"):
        answer = await client.get(path)
        assert answer.status == 200, path
        assert "do not leak me" not in await answer.text()
    assert json.loads(await (await client.get("/readyz")).text())["ready"] is True


async def test_an_oversized_decision_body_is_refused(console: Console, client: Client) -> None:
    console.add_tasks(sample_task(1))
    rita = console.headers("rita")
    await client.post("/api/tasks/task-acme-1/claim", headers=rita)
    body = {"action": "allow", "notes": "x" * 70_000}
    answer = await client.post("/api/tasks/task-acme-1/decision", headers=rita, json=body)
    assert answer.status == 413
    with console.state.factory() as session:
        assert session.scalars(select(OutboxMessage)).all() == []
