"""A new stage layout (a new consumer group) starts where the old layout's group stopped.

All stages run in one worker, then the same app restarts as one worker per stage (the README's
scaling advice): new groups. Nothing the first layout classified is classified again (the
simulated API counts the calls), and nothing published in between is skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.pipeline_harness import (
    Outcomes,
    Pipeline,
    collect,
    publish,
    request,
    sim_api,
    topic_names,
)

FIRST, SECOND = 12, 8


def _haiku_calls(stats: dict[str, object]) -> int:
    models = stats["models"]
    assert isinstance(models, dict)
    return sum(int(m["requests"]) for name, m in models.items() if "haiku" in name)


def _items(start: int, count: int) -> list[object]:
    # Distinct texts, so the verdict cache cannot hide a second classification.
    return [request(f"layout-{n}", f"Lovely weather in town number {n} today") for n in
            range(start, start + count)]  # fmt: skip


@pytest.mark.integration
@pytest.mark.timeout(240)  # three worker starts; slow on a shared 2-core machine
async def test_new_layout_does_not_classify_history_again(
    kafka_bootstrap: str, tmp_path: Path, unique_name: Callable[[str], str]
) -> None:
    suffix = unique_name("t").split(".", 1)[1]
    with sim_api("--profile", "instant") as api:
        pipeline = Pipeline(
            bootstrap=kafka_bootstrap,
            sim_url=api.base_url,
            topics=topic_names(suffix),
            app_id=f"it-{suffix}",
            workdir=tmp_path,
        )
        try:
            everything = pipeline.worker()
            await asyncio.to_thread(everything.start)
            await publish(kafka_bootstrap, pipeline.topics.requests, _items(0, FIRST))

            def first_done(outcomes: Outcomes) -> bool:
                return all(outcomes.final(f"layout-{n}") for n in range(FIRST))

            await collect(kafka_bootstrap, pipeline.topics, first_done, 60)
            assert everything.stop() == 0
            # Not on a terminal: no cursor escapes from faust's spinner in the log file.
            assert "\x1b[" not in everything.log_path.read_text(errors="replace")
            assert _haiku_calls(api.stats()) == FIRST

            # Published while no worker runs: the new layout must not skip these.
            await publish(kafka_bootstrap, pipeline.topics.requests, _items(FIRST, SECOND))
            triage = pipeline.worker("triage")
            rest = pipeline.worker("review,finalize")
            await asyncio.to_thread(triage.start)
            await asyncio.to_thread(rest.start)

            def all_done(outcomes: Outcomes) -> bool:
                return all(outcomes.final(f"layout-{n}") for n in range(FIRST + SECOND))

            outcomes = await collect(kafka_bootstrap, pipeline.topics, all_done, 60)
            await asyncio.sleep(3)  # a re-read history would be classifying by now
            assert _haiku_calls(api.stats()) == FIRST + SECOND
            decided = {cid: len(found) for cid, found in outcomes.decisions.items()}
            assert all(count == 1 for count in decided.values()), decided
            log = triage.log_path.read_text(errors="replace")
            group = f"it-{suffix}-triage"
            assert f"group {group} starts {pipeline.topics.requests} at p0@" in log
            assert f"copied from it-{suffix}-triage-review-finalize" in log
        finally:
            pipeline.stop_all()
