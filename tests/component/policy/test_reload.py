"""LivePolicies over a real file: a changed file replaces the book, an invalid one keeps it
(ERROR + metric), SIGHUP reloads."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from moderation.policy import LivePolicies
from moderation.telemetry import setup_for_tests

POLICY = """\
tenants:
  acme:
    version: "{version}"
    fail_mode: {mode}
"""


def write(path: Path, version: str, mode: str = "open") -> None:
    path.write_text(POLICY.format(version=version, mode=mode), encoding="utf-8")


def reloads(reader: InMemoryMetricReader) -> dict[str, int]:
    data = reader.get_metrics_data()
    counts: dict[str, int] = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == "moderation.policy.reloads":
                    for point in metric.data.data_points:
                        result = str(point.attributes["moderation.result"])  # type: ignore[index]
                        counts[result] = int(getattr(point, "value", 0))
    return counts


def test_a_changed_file_replaces_the_policy_and_an_invalid_one_keeps_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reader = InMemoryMetricReader()
    telemetry = setup_for_tests(metric_reader=reader)
    path = tmp_path / "policy.yaml"
    write(path, "1")
    live = LivePolicies.load(path, telemetry.metrics)
    assert live.for_tenant("acme").version.endswith("acme.1")
    assert not live.changed()

    write(path, "20", mode="closed")  # another size too: mtime alone may be coarse
    assert live.changed()
    assert live.reload() is True
    assert live.for_tenant("acme").version.endswith("acme.20")
    assert live.for_tenant("acme").fail_mode == "closed"

    path.write_text("tenants: [not, a, mapping", encoding="utf-8")
    caplog.set_level(logging.ERROR, logger="moderation.policy.live")
    assert live.reload() is False
    assert live.for_tenant("acme").version.endswith("acme.20"), "the old policy stays in force"
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    assert "keeping the current policy" in caplog.records[0].getMessage()
    assert reloads(reader) == {"ok": 1, "invalid": 1}


async def test_the_watch_picks_up_a_change_without_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    write(path, "1")
    live = LivePolicies.load(path)
    watching = asyncio.create_task(live.watch(0.01))
    try:
        write(path, "22")
        async with asyncio.timeout(10):
            while not live.for_tenant("acme").version.endswith("acme.22"):  # noqa: ASYNC110 - polls a value, bounded
                await asyncio.sleep(0.01)
    finally:
        watching.cancel()


async def test_sighup_reloads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    write(path, "1")
    live = LivePolicies.load(path)
    loop = asyncio.get_running_loop()
    live.reload_on_sighup(loop)
    try:
        write(path, "3")
        os.kill(os.getpid(), signal.SIGHUP)
        async with asyncio.timeout(10):
            while not live.for_tenant("acme").version.endswith("acme.3"):  # noqa: ASYNC110 - polls a value, bounded
                await asyncio.sleep(0.01)
    finally:
        loop.remove_signal_handler(signal.SIGHUP)
