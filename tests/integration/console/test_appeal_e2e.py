"""Issue 15, end to end on the real broker and PostgreSQL: a reviewer removes an item in the
console, the worker makes it final (with its statement of reasons), the author appeals, the
appeal reaches the console's appeals queue, the reviewer who removed it cannot take it, another
overturns it, and the worker publishes a final decision that supersedes the removal."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from moderation.console.samples import sample_task
from moderation_contracts import dump_payload
from tests.integration.appeal_harness import appeal_of, read_appeal_records
from tests.integration.console.console_process_harness import ConsoleProcess
from tests.integration.pipeline_harness import Pipeline, publish

pytestmark = pytest.mark.integration


async def _claim_when_there(console: ConsoleProcess, token: str, queue: str) -> Any:
    for _ in range(100):
        try:
            return await asyncio.to_thread(
                console.api, token, "POST", f"/api/queue/next?queue={queue}"
            )
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise
        await asyncio.sleep(0.3)
    raise TimeoutError(f"nothing arrived in the {queue} queue")


async def test_an_appeal_overturned_in_the_console_supersedes_the_removal(
    pipeline: Pipeline,
    postgres_url: str,
    console_factory: Callable[..., ConsoleProcess],
) -> None:
    names = pipeline.topics
    worker = pipeline.worker(stages="finalize,appeal")
    console = console_factory(
        postgres_url,
        {
            "human_review": names.human_review,
            "human_decisions": names.human_decisions,
            "deadletter": names.deadletter,
        },
        MODERATION_TOPICS__APPEAL_TASKS=names.appeal_tasks,
        MODERATION_TOPICS__APPEAL_DECISIONS=names.appeal_decisions,
    )
    console.cli("migrate")
    console.cli("add-user", "sena", "--role", "senior", "--tenants", "acme", "--no-password")
    console.cli("add-user", "ada", "--role", "admin", "--no-password")
    sena, ada = console.cli("add-token", "sena"), console.cli("add-token", "ada")
    await asyncio.gather(asyncio.to_thread(worker.start), asyncio.to_thread(console.start))

    # A reviewer removes the item; the worker's finalize stage makes it final.
    task = sample_task(1, text="a quoted threat", content_id="e2e-1")
    await publish(pipeline.bootstrap, names.human_review, [(b"e2e-1", dump_payload(task))])
    claimed = await _claim_when_there(console, sena, "standard")
    removal = {"action": "remove", "categories": [{"category": "harassment", "severity": "high"}]}
    await asyncio.to_thread(
        console.api, sena, "POST", f"/api/tasks/{claimed['task_id']}/decision", removal
    )
    records = await read_appeal_records(
        pipeline.bootstrap, names, lambda r: bool(r.statements.get("e2e-1")), 90
    )
    (removed,) = [d for d in records.decisions["e2e-1"] if d["final"]]
    assert (removed["status"], removed["reviewer_id"]) == ("removed", "sena")
    (statement,) = records.statements["e2e-1"]
    assert statement["puid"] == removed["decision_id"]
    assert statement["automated_decision"] == "AUTOMATED_DECISION_PARTIALLY"

    # The author appeals; the appeal reaches the appeals queue; sena may not take it.
    await publish(
        pipeline.bootstrap, names.appeals, [(b"e2e-1", dump_payload(appeal_of("e2e-1", "ap-e2e")))]
    )
    taken = await _claim_when_there(console, ada, "appeals")
    assert taken["task_id"] == "appeal-ap-e2e"
    await asyncio.to_thread(console.api, ada, "POST", "/api/tasks/appeal-ap-e2e/release")
    with pytest.raises(urllib.error.HTTPError) as refused:
        await asyncio.to_thread(console.api, sena, "POST", "/api/tasks/appeal-ap-e2e/claim")
    assert refused.value.code == 409
    item = await asyncio.to_thread(console.api, ada, "GET", "/api/tasks/appeal-ap-e2e")
    assert item["original"]["decision_id"] == removed["decision_id"]
    assert item["appeal"]["reason"] == "It was a quote, not a threat."

    # Another reviewer overturns it: a new final decision supersedes the removal.
    await asyncio.to_thread(console.api, ada, "POST", "/api/tasks/appeal-ap-e2e/claim")
    verdict = {"outcome": "overturned", "reason": "Quoting a threat to report it is allowed."}
    await asyncio.to_thread(
        console.api, ada, "POST", "/api/appeals/appeal-ap-e2e/decision", verdict
    )
    records = await read_appeal_records(
        pipeline.bootstrap, names, lambda r: r.outcome("ap-e2e", "overturned") is not None, 90
    )
    (new,) = [d for d in records.decisions["e2e-1"] if d.get("supersedes")]
    assert new["supersedes"] == removed["decision_id"]
    assert (new["status"], new["final"], new["decided_by"]) == ("allowed", True, "human")
    assert new["reviewer_id"] == "ada"
    outcome = records.outcome("ap-e2e", "overturned")
    assert outcome is not None
    assert outcome["new_decision_id"] == new["decision_id"]
    assert records.dead_letters == []
