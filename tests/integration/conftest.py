"""Integration fixtures: one real Kafka broker per test session (or the cluster you point at).

With ``KAFKA_BOOTSTRAP_SERVERS`` set, tests use that cluster and start nothing. Otherwise the
session starts a throwaway KRaft broker on free loopback ports and stops it at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from moderation.devkafka import free_port, local_kafka


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
