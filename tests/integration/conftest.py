"""Integration fixtures: one real Kafka broker per test session (or the cluster you point at).

With ``KAFKA_BOOTSTRAP_SERVERS`` set, tests use that cluster and start nothing. Otherwise the
session starts a throwaway KRaft broker on free loopback ports and stops it at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moderation_dev.devkafka import free_port, local_kafka

if TYPE_CHECKING:
    from tests.integration.pipeline_harness import Pipeline


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_kafka(tmp_path_factory.mktemp("kafka")) as bootstrap:
        yield bootstrap


@pytest.fixture
def port_factory() -> Callable[[], int]:
    """Free loopback ports for servers a test starts itself."""
    return free_port


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Topic and group names unique to one test, so tests never see each other's messages."""
    token = uuid.uuid4().hex[:10]

    def make(prefix: str) -> str:
        return f"{prefix}.{token}"

    return make


@pytest.fixture(scope="session")
def sim_url() -> Iterator[str]:
    """The simulated Anthropic API (instant profile) as a real HTTP server, for the session."""
    from tests.integration.pipeline_harness import sim_api

    with sim_api("--profile", "instant", "--retry-after", "0.2") as api:
        yield api.base_url


@pytest.fixture
def pipeline(
    kafka_bootstrap: str, sim_url: str, tmp_path: Path, unique_name: Callable[[str], str]
) -> Iterator[Pipeline]:
    """Worker environment with this test's own topics and group; stops its workers after."""
    from tests.integration.pipeline_harness import Pipeline, topic_names

    suffix = unique_name("t").split(".", 1)[1]
    made = Pipeline(
        bootstrap=kafka_bootstrap,
        sim_url=sim_url,
        topics=topic_names(suffix),
        app_id=f"it-{suffix}",
        workdir=tmp_path,
    )
    try:
        yield made
    finally:
        made.stop_all()
        for worker in made.workers:  # shown by pytest only when the test failed
            print(f"--- {worker.log_path.name} (last lines) ---\n{worker.log_tail(25)}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show the fault-injection figures in the summary (CI runs without ``-s``)."""
    from tests.integration import faults_figures as figures  # by import: a rename fails loudly

    if not figures.written_this_session():
        return
    terminalreporter.section("fault-injection figures")
    for line in figures.FIGURES_FILE.read_text(encoding="utf-8").splitlines():
        terminalreporter.write_line(line)
