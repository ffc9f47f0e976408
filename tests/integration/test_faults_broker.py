"""Fault injection: restart the Kafka broker under a running worker; it recovers by itself.

The scenario runs its own single-node broker (so the session broker is never disturbed),
stops it gracefully while items are in flight, and starts the same broker process again on the
same ports and data: offsets, topics and the consumer group survive, as in a rolling restart.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from moderation_contracts import ModerationRequest
from moderation_dev.devkafka import (
    BrokerSpec,
    ensure_runtime,
    free_port,
    kafka_answers,
    start_broker,
    stop_broker,
)
from tests.integration.faults_figures import figures, report
from tests.integration.pipeline_harness import (
    Outcomes,
    Pipeline,
    collect,
    publish,
    request,
    topic_names,
)

pytestmark = [pytest.mark.integration, pytest.mark.faults]


@dataclass
class RestartableBroker:
    spec: BrokerSpec
    process: subprocess.Popen[bytes] | None = None

    def restart(self, down_for_s: float) -> float:
        """Stop the broker (SIGTERM, data kept), wait, start the same command line again.

        Returns how long Kafka did not answer, in seconds.
        """
        pid = int(json.loads(self.spec.pid_file.read_text())["pid"])
        command = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
        stopped_at = time.monotonic()
        stop_broker(self.spec, keep_state=True)
        time.sleep(down_for_s)
        with self.spec.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while not kafka_answers(self.spec.host, self.spec.port, timeout=1.0):
            assert self.process.poll() is None, f"restarted broker exited; see {self.spec.log_file}"
            assert time.monotonic() < deadline, "restarted broker did not answer in 60s"
            time.sleep(0.25)
        return time.monotonic() - stopped_at

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        stop_broker(self.spec)  # the first process, if the restart never happened


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[RestartableBroker]:
    runtime, _ = ensure_runtime(quiet=True)
    spec = BrokerSpec(port=free_port(), controller_port=free_port(), state_dir=tmp_path / "kafka")
    start_broker(runtime, spec, timeout=90)
    broker = RestartableBroker(spec)
    try:
        yield broker
    finally:
        broker.stop()


def terminal(outcomes: Outcomes, items: list[ModerationRequest]) -> int:
    return sum(1 for item in items if outcomes.terminal(item.content_id))


async def test_broker_restart_under_a_running_worker_loses_nothing(
    own_broker: RestartableBroker,
    sim_url: str,
    tmp_path: Path,
    unique_name: Callable[[str], str],
) -> None:
    suffix = unique_name("b").split(".", 1)[1]
    pipeline = Pipeline(
        bootstrap=own_broker.spec.bootstrap,
        sim_url=sim_url,
        topics=topic_names(suffix),
        app_id=f"it-{suffix}",
        workdir=tmp_path,
        partitions=2,
    )
    try:
        worker = pipeline.worker()
        await asyncio.to_thread(worker.start)
        first = [
            request(f"before-{index}", f"[[sim: haiku=latency:{300 + 50 * index}]] note {index}")
            for index in range(20)
        ]
        await publish(pipeline.bootstrap, pipeline.topics.requests, first)
        await collect(pipeline.bootstrap, pipeline.topics, lambda o: terminal(o, first) >= 4, 60)
        down_s = await asyncio.to_thread(own_broker.restart, 3.0)
        second = [request(f"after-{index}", f"hello again {index}") for index in range(10)]
        await publish(pipeline.bootstrap, pipeline.topics.requests, second)
        items = first + second
        outcomes = await collect(
            pipeline.bootstrap,
            pipeline.topics,
            lambda o: terminal(o, items) == len(items),
            90,
        )
        assert worker.process is not None
        alive = worker.process.poll() is None
        made = report(
            figures(
                "broker restart",
                [item.content_id for item in items],
                outcomes,
                notes=f"broker down {down_s:.1f}s; worker kept running={alive}",
            )
        )
        assert made.lost == ()
        assert alive, f"the worker should ride out the restart; log:\n{worker.log_tail()}"
    finally:
        pipeline.stop_all()
