"""A reviewer in a real headless Chromium (Debian's chromium + chromium-driver, via Selenium):
sign in, claim the top task, remove it with a category using only the keyboard, and find the
worker's final decision on the decisions topic of the real broker.

A missing browser fails this test: `make test` installs it (.ci/os-packages.sh).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.integration.console.console_process_harness import ConsoleProcess
from tests.integration.pipeline_harness import Outcomes, Pipeline, collect, publish, request

pytestmark = pytest.mark.integration

PASSWORD = "a long reviewer password"
HOSTILE = "[[sim: all=flag:violence:high]] I will hurt you <script>window.pwned=1</script>"


def _press(driver: WebDriver, keys: str) -> None:
    driver.find_element(By.TAG_NAME, "body").send_keys(keys)


async def test_a_reviewer_removes_the_top_task_with_the_keyboard(
    pipeline: Pipeline,
    browser: WebDriver,
    tmp_path: Path,
    console_factory: Callable[..., ConsoleProcess],
) -> None:
    await asyncio.to_thread(pipeline.worker().start)
    topics = pipeline.topics
    console = console_factory(
        f"sqlite:///{tmp_path / 'console.db'}",
        {
            "human_review": topics.human_review,
            "human_decisions": topics.human_decisions,
            "deadletter": topics.deadletter,
        },
    )
    console.cli("add-user", "rita", "--tenants", "acme", password=PASSWORD)
    await asyncio.to_thread(console.start)
    await publish(pipeline.bootstrap, topics.requests, [request("browser-1", HOSTILE)])
    await collect(pipeline.bootstrap, topics, lambda o: bool(o.tasks.get("browser-1")), 60)

    def review() -> str:
        wait = WebDriverWait(browser, 30)
        browser.get(console.url + "/login")
        browser.find_element(By.ID, "username").send_keys("rita")
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "sign-in").click()
        # The console ingests the task a moment after the worker wrote it: reload until shown.
        deadline = time.monotonic() + 60
        while True:
            wait.until(expected_conditions.presence_of_element_located((By.ID, "next")))
            if "browser-1" in browser.page_source:
                break
            assert time.monotonic() < deadline, (
                f"the console never showed the task:\n{console.log()}"
            )
            time.sleep(0.5)
            browser.refresh()
        _press(browser, "n")  # claim the top task
        wait.until(expected_conditions.url_contains("/tasks/"))
        wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "claimed-by"), "rita"))
        text = browser.find_element(By.ID, "content-text").text
        assert "<script>window.pwned=1</script>" in text  # shown as text ...
        assert browser.execute_script("return window.pwned === undefined")  # ... not run
        first = browser.find_element(By.CSS_SELECTOR, 'input[name="category"]')
        assert first.get_attribute("value") == "violence"  # the models' category comes first
        _press(browser, "1")  # tick the first category
        assert first.is_selected()
        _press(browser, "r")  # remove
        decided = expected_conditions.text_to_be_present_in_element(
            (By.ID, "task-state"), "decided"
        )
        wait.until(decided)
        recorded = expected_conditions.text_to_be_present_in_element((By.ID, "status"), "recorded")
        wait.until(recorded)
        return browser.find_element(By.ID, "status").text

    status = await asyncio.to_thread(review)
    assert "decision recorded: remove" in status

    def final(outcomes: Outcomes) -> bool:
        return outcomes.final("browser-1") is not None

    outcomes = await collect(pipeline.bootstrap, topics, final, 60)
    decided = outcomes.final("browser-1")
    assert decided is not None
    assert decided["status"] == "removed"
    assert decided["decided_by"] == "human"
    assert "I will hurt you" not in console.log()
