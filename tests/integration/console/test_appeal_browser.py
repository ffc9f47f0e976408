"""An appeal in a real headless Chromium: the excluded reviewer sees why they cannot decide it,
another signs in, reads the appellant's (hostile) reason as text, overturns it with a reason,
and the appeal decision reaches the real broker."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from moderation_contracts import dump_payload
from moderation_contracts import examples as ex
from moderation_contracts.examples_appeals import appeal_task
from tests.integration.console.console_process_harness import ConsoleProcess
from tests.integration.pipeline_harness import publish

pytestmark = pytest.mark.integration

PASSWORD = "a long senior password"
HOSTILE = "It was a quote <script>window.pwned=1</script>"


def _sign_in(browser: WebDriver, url: str, username: str) -> None:
    browser.delete_all_cookies()
    browser.get(url + "/login")
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, 30).until(expected_conditions.url_contains("/queue"))


async def _first_decision(bootstrap: str, topic: str, timeout: float = 30) -> dict[str, object]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                return dict(json.loads(messages[0].value))
    finally:
        await consumer.stop()
    raise TimeoutError(f"no appeal decision on {topic}")


async def test_a_senior_overturns_an_appeal_in_the_browser(
    kafka_bootstrap: str,
    browser: WebDriver,
    tmp_path: Path,
    unique_name: Callable[[str], str],
    console_factory: Callable[..., ConsoleProcess],
) -> None:
    topics = {
        "human_review": unique_name("review"),
        "human_decisions": unique_name("decisions"),
        "deadletter": unique_name("dlq"),
    }
    appeal_tasks, appeal_decisions = unique_name("appeal-tasks"), unique_name("appeal-decisions")
    console = console_factory(
        f"sqlite:///{tmp_path / 'console.db'}",
        topics,
        MODERATION_TOPICS__APPEAL_TASKS=appeal_tasks,
        MODERATION_TOPICS__APPEAL_DECISIONS=appeal_decisions,
    )
    console.cli("add-user", "sena", "--role", "senior", "--tenants", "acme", password=PASSWORD)
    console.cli("add-user", "otto", "--role", "senior", "--tenants", "acme", password=PASSWORD)
    original = ex.final_decision().model_copy(update={"tenant_id": "acme", "reviewer_id": "sena"})
    made = appeal_task(original)
    now = datetime.now(UTC)
    task = made.model_copy(
        update={
            "appeal": made.appeal.model_copy(update={"reason": HOSTILE, "tenant_id": "acme"}),
            "excluded_reviewers": ["sena"],
            "review_deadline": now + timedelta(hours=72),
            "created_at": now,
        }
    )
    await publish(kafka_bootstrap, appeal_tasks, [(b"c", dump_payload(task))])
    await asyncio.to_thread(console.start)
    page = f"{console.url}/tasks/{task.task_id}"

    def excluded() -> str:
        _sign_in(browser, console.url, "sena")
        deadline = time.monotonic() + 60
        while task.task_id not in browser.page_source:  # ingest takes a moment
            assert time.monotonic() < deadline, console.log()
            time.sleep(0.5)
            browser.get(console.url + "/queue?queue=appeals")
        browser.get(page)
        return browser.find_element(By.ID, "excluded").text

    assert "another reviewer" in await asyncio.to_thread(excluded)

    def overturn() -> str:
        wait = WebDriverWait(browser, 30)
        _sign_in(browser, console.url, "otto")
        browser.get(page)
        reason = browser.find_element(By.ID, "appeal-reason").text
        assert "<script>window.pwned=1</script>" in reason  # shown as text ...
        assert browser.execute_script("return window.pwned === undefined")  # ... not run
        browser.find_element(By.TAG_NAME, "body").send_keys("c")  # claim
        wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "status"), "yours"))
        browser.find_element(By.ID, "reason").send_keys("Quoting a threat to report it is fine.")
        button = browser.find_element(By.CSS_SELECTOR, 'button[data-action="overturned"]')
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
        wait.until(
            expected_conditions.text_to_be_present_in_element((By.ID, "task-state"), "decided")
        )
        return browser.find_element(By.ID, "status").text

    assert await asyncio.to_thread(overturn) == "appeal overturned"
    published = await _first_decision(kafka_bootstrap, appeal_decisions)
    assert (published["outcome"], published["reviewer_id"]) == ("overturned", "otto")
    assert published["appeal_id"] == task.appeal.appeal_id
    assert "window.pwned" not in console.log()
