"""Shadow mode end to end: the same items, shadow off and on, give identical decisions.

Two pipelines (own topics and groups) run the real worker against the shared broker and the
simulated API. The second runs a candidate configuration in shadow on every item in both model
stages; its decisions and review tasks must match the first's field for field, and the shadow
topic must hold one comparison per shadowed judgement.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer

from moderation.evaluation.datasets import BUNDLED, load
from moderation.policy import PolicyBook
from moderation_contracts import ShadowComparison, parse_payload
from tests.integration.pipeline_harness import (
    Outcomes,
    Pipeline,
    collect,
    publish,
    request,
    topic_names,
)

CANDIDATE = """\
id: candidate
triage: {model: claude-sonnet-4-6, max_tokens: 400}
review: {model: claude-opus-4-5, max_tokens: 800}
"""
# What must not change: everything but timestamps and trace ids.
DECISION_FIELDS = (
    "status",
    "decided_by",
    "final",
    "categories",
    "rationale",
    "policy_id",
    "policy_version",
    "models",
    "cost",
    "config_id",
    "overturned",
    "reason",
)
TASK_FIELDS = ("task_id", "escalation_reason", "priority", "reason", "cost", "triage", "review")


def texts() -> dict[str, str]:
    """A spread of the bundled set: clean, harmful, borderline and injection attempts."""
    items = load(BUNDLED, PolicyBook.load().default.category_names())
    chosen = items[::9]  # every ninth item: about 30, across every kind
    token = uuid.uuid4().hex[:6]
    return {f"sh-{token}-{i:03d}": item.request.text or "image" for i, item in enumerate(chosen)}


async def run_items(pipeline: Pipeline, items: dict[str, str], **env: str) -> Outcomes:
    await asyncio.to_thread(pipeline.worker(**env).start)
    await publish(
        pipeline.bootstrap, pipeline.topics.requests, [request(k, v) for k, v in items.items()]
    )

    def done(outcomes: Outcomes) -> bool:
        return all(outcomes.final(cid) is not None or outcomes.tasks.get(cid) for cid in items)

    return await collect(pipeline.bootstrap, pipeline.topics, done, 90)


def calls(cost: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Each tier's model, calls, prompt tokens and output tokens. How the prompt splits into
    cached and uncached tokens (and so the dollar figure) depends on what the simulated API's
    prompt cache saw before, which differs between the two runs; the work done does not."""
    return [
        (
            tier["model"],
            tier["calls"],
            tier["input_tokens"]
            + tier["cache_read_input_tokens"]
            + tier["cache_write_input_tokens"],
            tier["output_tokens"],
        )
        for tier in cost["tiers"]
    ]


def essentials(outcomes: Outcomes, items: dict[str, str]) -> dict[str, Any]:
    def trim(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
        made = {name: record.get(name) for name in fields}
        made["cost"] = calls(made["cost"])
        for verdict in ("triage", "review"):
            if isinstance(made.get(verdict), dict):
                made[verdict] = {
                    k: v
                    for k, v in made[verdict].items()
                    if k not in ("decided_at", "latency_ms", "response_id")
                }
        return made

    return {
        cid: {
            "decisions": sorted(
                json.dumps(trim(d, DECISION_FIELDS), sort_keys=True)
                for d in outcomes.decisions[cid]
            ),
            "tasks": [trim(t, TASK_FIELDS) for t in outcomes.tasks.get(cid, [])[:1]],
        }
        for cid in items
    }


def differences(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """Readable field-level differences (content ids, then the first differing field)."""
    found = []
    for cid in sorted(first):
        if first[cid] == second.get(cid):
            continue
        for kind in ("decisions", "tasks"):
            for a, b in zip(first[cid][kind], second[cid][kind], strict=False):
                a, b = (json.loads(x) if isinstance(x, str) else x for x in (a, b))
                diff = {k: (a.get(k), b.get(k)) for k in a if a.get(k) != b.get(k)}
                if diff:
                    found.append(f"{cid} {kind}: {diff}")
            if len(first[cid][kind]) != len(second[cid][kind]):
                found.append(f"{cid} {kind}: {len(first[cid][kind])} vs {len(second[cid][kind])}")
    return found


async def read_shadow(
    bootstrap: str, topic: str, want: int, timeout: float
) -> list[ShadowComparison]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[ShadowComparison] = []
    try:
        deadline = time.monotonic() + timeout
        while len(found) < want and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                found += [parse_payload(ShadowComparison, m.value) for m in messages]
    finally:
        await consumer.stop()
    return found


async def test_decisions_are_identical_with_shadow_on_and_off(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    items = texts()
    assert len(items) >= 25
    plain = await run_items(pipeline, items)
    pipeline.stop_all()

    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(CANDIDATE)
    suffix = uuid.uuid4().hex[:10]
    shadowed = Pipeline(
        bootstrap=pipeline.bootstrap,
        sim_url=pipeline.sim_url,
        topics=topic_names(suffix),
        app_id=f"it-{suffix}",
        workdir=tmp_path / "shadowed",
    )
    shadowed.workdir.mkdir()
    try:
        with_shadow = await run_items(
            shadowed,
            items,
            MODERATION_SHADOW__ENABLED="true",
            MODERATION_SHADOW__CONFIG_FILE=str(candidate),
            MODERATION_SHADOW__STAGES="both",
            MODERATION_SHADOW__SHARE_PERCENT="100",
            MODERATION_SHADOW__MAX_IN_FLIGHT="1024",
        )
        # review judged: a final decision by Sonnet, or a human task carrying its verdict
        reviewed = sum(
            1
            for cid in items
            if any(d["decided_by"] == "sonnet" for d in with_shadow.decisions[cid])
            or any(t.get("review") for t in with_shadow.tasks.get(cid, []))
        )
        assert reviewed > 0
        comparisons = await read_shadow(
            shadowed.bootstrap, shadowed.topics.shadow, len(items) + reviewed, 60
        )
    finally:
        shadowed.stop_all()
        for worker in shadowed.workers:
            print(f"--- shadowed {worker.log_path.name} ---\n{worker.log_tail(25)}")

    ours, theirs = essentials(with_shadow, items), essentials(plain, items)
    assert differences(ours, theirs) == []
    assert all(d["config_id"] == "baseline" for ds in plain.decisions.values() for d in ds)

    triage = [c for c in comparisons if c.stage == "triage"]
    assert sorted(c.content_id for c in triage) == sorted(items)
    assert all(c.candidate.config_id == "candidate" for c in comparisons)
    assert all(c.production.config_id == "baseline" for c in comparisons)
    assert all(c.candidate.model == "claude-sonnet-4-6" for c in triage)
    # the candidate really ran (Sonnet at triage costs more than Haiku), on its own budget
    assert sum(c.candidate.cost_usd for c in triage) > sum(c.production.cost_usd for c in triage)
    assert len([c for c in comparisons if c.stage == "review"]) == reviewed

    # the operator's view of the same topic
    chart = tmp_path / "shadow.png"
    report = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "moderation.cli", "shadow", "report", "--out", str(chart)],
        env={
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": shadowed.bootstrap,
            "MODERATION_TOPICS__SHADOW": shadowed.topics.shadow,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert report.returncode == 0, report.stderr
    assert "triage: candidate (candidate) vs baseline (production)" in report.stdout
    assert f"items compared           {len(triage)}" in report.stdout
    assert chart.stat().st_size > 0
