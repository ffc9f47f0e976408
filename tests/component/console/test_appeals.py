"""The appeals queue over loopback HTTP: who may work it, the original reviewer's exclusion,
what the item shows, the outcome through the outbox, and the appellant's words rendered inert."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from moderation.console.models import OutboxMessage, Task
from moderation.console.samples import sample_task
from moderation_contracts import AppealDecision, AppealTask, parse_payload
from moderation_contracts import examples as ex
from moderation_contracts.examples_appeals import appeal_task
from tests.component.console.console_web_harness import Collector, Console, sign_in

Client = TestClient[object, object]


def appeal(n: int = 1, *, excluded: str = "sena", reason: str | None = None) -> AppealTask:
    """An appeal of item-n (tenant acme), whose removal ``excluded`` decided."""
    original = ex.final_decision().model_copy(
        update={"content_id": f"item-{n}", "tenant_id": "acme", "reviewer_id": excluded}
    )
    made = appeal_task(original)
    now = datetime.now(UTC)
    changes: dict[str, object] = {"content_id": f"item-{n}", "tenant_id": "acme"}
    if reason is not None:
        changes["reason"] = reason
    return made.model_copy(
        update={
            "task_id": f"appeal-ap-{n}",
            "appeal": made.appeal.model_copy(update={**changes, "appeal_id": f"ap-{n}"}),
            "excluded_reviewers": [excluded],
            "review_deadline": now + timedelta(hours=72),
            "created_at": now,
        }
    )


async def test_the_appeals_queue_is_separate_and_for_senior_staff(
    console: Console, client: Client
) -> None:
    console.add_tasks(sample_task(1))
    console.add_appeals(appeal(1))
    ada = console.headers("ada")
    standard = await (await client.get("/api/queue", headers=ada)).json()
    assert [t["task_id"] for t in standard["tasks"]] == ["task-acme-1"]
    appeals = await (await client.get("/api/queue?queue=appeals", headers=ada)).json()
    assert [(t["task_id"], t["queue"]) for t in appeals["tasks"]] == [("appeal-ap-1", "appeals")]
    rita = console.headers("rita")
    assert (await client.get("/api/queue?queue=appeals", headers=rita)).status == 403
    assert (await client.get("/api/tasks/appeal-ap-1", headers=rita)).status == 404
    assert (await client.post("/api/tasks/appeal-ap-1/claim", headers=rita)).status == 404
    gus = console.headers("gus")  # another tenant, and not senior
    assert (await client.get("/api/tasks/appeal-ap-1", headers=gus)).status == 404


async def test_the_reviewer_who_made_the_decision_can_neither_claim_nor_decide_it(
    console: Console, client: Client
) -> None:
    console.add_appeals(appeal(1, excluded="sena"))
    sena = console.headers("sena")
    claim = await client.post("/api/tasks/appeal-ap-1/claim", headers=sena)
    assert claim.status == 409
    assert "another reviewer" in (await claim.json())["detail"]
    nothing = await client.post("/api/queue/next?queue=appeals", headers=sena)
    assert nothing.status == 404
    decide = await client.post(
        "/api/appeals/appeal-ap-1/decision",
        headers=sena,
        json={"outcome": "overturned", "reason": "my own call was wrong"},
    )
    assert decide.status == 409
    # Anyone else qualified takes it with "next".
    taken = await client.post("/api/queue/next?queue=appeals", headers=console.headers("ada"))
    assert taken.status == 200
    assert (await taken.json())["task_id"] == "appeal-ap-1"


async def test_an_appeal_item_shows_decision_verdicts_rationale_and_reason(
    console: Console, client: Client
) -> None:
    console.add_appeals(appeal(1))
    item = await (await client.get("/api/tasks/appeal-ap-1", headers=console.headers("ada"))).json()
    assert item["kind"] == "appeal"
    assert item["appeal"]["reason"] == appeal(1).appeal.reason
    assert item["original"]["status"] == "removed"
    assert item["original"]["rationale"] == ex.final_decision().rationale
    assert item["original"]["reviewer_id"] == "sena"
    assert item["triage"]["model"] == "claude-haiku-4-5"
    assert item["review"]["model"] == "claude-sonnet-4-6"
    assert item["excluded_reviewers"] == ["sena"]


async def test_deciding_an_appeal_queues_the_contract_message_once(
    console: Console, client: Client
) -> None:
    console.state.settings.appeal_decisions_topic = "appeal-decisions-under-test"
    console.add_appeals(appeal(1))
    ada = console.headers("ada")
    assert (await client.post("/api/tasks/appeal-ap-1/claim", headers=ada)).status == 200
    # The human-review decision route refuses an appeal, and an empty reason is refused.
    wrong = await client.post(
        "/api/tasks/appeal-ap-1/decision", headers=ada, json={"action": "allow"}
    )
    assert wrong.status == 409
    empty = await client.post(
        "/api/appeals/appeal-ap-1/decision", headers=ada, json={"outcome": "upheld", "reason": ""}
    )
    assert empty.status == 400
    bad = await client.post(
        "/api/appeals/appeal-ap-1/decision", headers=ada, json={"outcome": "maybe", "reason": "x"}
    )
    assert bad.status == 400
    done = await client.post(
        "/api/appeals/appeal-ap-1/decision",
        headers=ada,
        json={"outcome": "overturned", "reason": "Quoting a threat to report it is allowed."},
    )
    assert done.status == 200, await done.text()
    with console.state.factory() as session:
        message = session.scalars(select(OutboxMessage)).one()
        task = session.scalars(select(Task)).one()
    published = parse_payload(AppealDecision, message.value)
    assert (message.topic, message.key) == ("appeal-decisions-under-test", b"item-1")
    assert (published.appeal_id, published.task_id) == ("ap-1", "appeal-ap-1")
    assert (published.outcome, published.reviewer_id) == ("overturned", "ada")
    assert task.state == "decided"
    again = await client.post(
        "/api/appeals/appeal-ap-1/decision", headers=ada, json={"outcome": "upheld", "reason": "x"}
    )
    assert again.status == 409


async def test_a_hostile_appeal_reason_renders_inert_and_the_page_loads_only_our_scripts(
    console: Console, client: Client
) -> None:
    hostile = "<script>alert(1)</script><img src=x onerror=alert(1)> \u202egnp.exe"
    console.add_appeals(appeal(1, reason=hostile))
    await sign_in(client, "ada")
    html = await (await client.get("/tasks/appeal-ap-1")).text()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert sorted(scripts) == [
        (' src="/static/appeal.js" defer', ""),
        (' src="/static/console.js" defer', ""),
    ]
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "U+202E" in html
    parser = Collector()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag != "img", attrs
        for name, _ in attrs:
            assert not name.startswith("on"), (tag, name)
    assert (await client.get("/static/appeal.js")).status == 200
    # Nothing of an appeal is served as an attachment.
    assert (await client.get("/tasks/appeal-ap-1/attachments/0")).status == 404


async def test_the_excluded_reviewer_sees_why_instead_of_the_decision_form(
    console: Console, client: Client
) -> None:
    console.add_appeals(appeal(1, excluded="sena"))
    await sign_in(client, "sena")
    html = await (await client.get("/tasks/appeal-ap-1")).text()
    assert 'id="excluded"' in html
    assert 'id="decide-appeal"' not in html
    queue = await (await client.get("/queue?queue=appeals")).text()
    assert "appeal-ap-1" in queue
    assert "Appeals queue" in queue
