"""Pure launcher logic: broker configuration, bootstrap parsing, cache layout."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from moderation_dev.devkafka.broker import BrokerSpec, new_cluster_id, render_properties
from moderation_dev.devkafka.probe import _api_versions_request, parse_bootstrap
from moderation_dev.devkafka.runtime import KAFKA_VERSION, render_pom, runtime_for


def _props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def test_properties_describe_a_combined_loopback_node(tmp_path: Path) -> None:
    spec = BrokerSpec(host="127.0.0.1", port=19092, controller_port=19500, state_dir=tmp_path)
    props = _props(render_properties(spec))
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19500"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19500"
    assert props["log.dirs"] == str(tmp_path / "data")
    # A single node cannot replicate: every internal topic must ask for one replica.
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.replication.factor"] == "1"


def test_controller_port_defaults_to_the_next_port() -> None:
    assert BrokerSpec(port=9092).controller == 9093


def test_default_state_dir_is_per_address(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MODERATION_HOME", str(tmp_path))
    assert BrokerSpec(port=9092).root == tmp_path / "kafka-run" / "127.0.0.1-9092"
    assert BrokerSpec(port=9192).root != BrokerSpec(port=9092).root


def test_cluster_id_never_looks_like_a_command_line_option() -> None:
    # One id in 64 would start with '-' and make the storage tool's argument parser fail.
    assert not any(new_cluster_id().startswith("-") for _ in range(2000))


def test_cluster_id_is_sixteen_bytes_of_urlsafe_base64() -> None:
    cluster_id = new_cluster_id()
    assert len(cluster_id) == 22
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
    assert new_cluster_id() != cluster_id


@pytest.mark.parametrize(
    ("servers", "expected"),
    [
        ("127.0.0.1:9092", [("127.0.0.1", 9092)]),
        ("a:1, b:2", [("a", 1), ("b", 2)]),
        ("PLAINTEXT://broker:9093", [("broker", 9093)]),
        ("[::1]:9092", [("::1", 9092)]),
    ],
)
def test_parse_bootstrap(servers: str, expected: list[tuple[str, int]]) -> None:
    assert parse_bootstrap(servers) == expected


@pytest.mark.parametrize("servers", ["", "localhost", "host:port", " , "])
def test_parse_bootstrap_rejects_nonsense(servers: str) -> None:
    with pytest.raises(ValueError, match=r"bootstrap|host:port"):
        parse_bootstrap(servers)


def test_api_versions_request_is_length_prefixed() -> None:
    frame = _api_versions_request(42)
    assert int.from_bytes(frame[:4], "big") == len(frame) - 4
    assert int.from_bytes(frame[4:6], "big") == 18  # ApiVersions
    assert int.from_bytes(frame[8:12], "big") == 42


def test_runtime_cache_is_versioned_and_incomplete_until_marked(tmp_path: Path) -> None:
    runtime = runtime_for(KAFKA_VERSION, tmp_path)
    assert runtime.root == tmp_path / "kafka" / KAFKA_VERSION
    assert not runtime.is_complete()
    runtime.libs.mkdir(parents=True)
    (runtime.libs / f"kafka_2.13-{KAFKA_VERSION}.jar").write_bytes(b"")
    assert not runtime.is_complete(), "a half-finished fetch must not count as cached"
    runtime.complete_marker.write_text("done")
    assert runtime.is_complete()


def test_pom_asks_for_the_broker_and_a_log4j2_binding() -> None:
    pom = render_pom("4.1.1")
    assert "<artifactId>kafka_2.13</artifactId>" in pom
    assert "<version>4.1.1</version>" in pom
    assert "log4j-slf4j2-impl" in pom
