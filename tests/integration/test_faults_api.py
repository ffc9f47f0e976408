"""Fault injection: the Anthropic API misbehaves (429/529 storms, timeouts, dropped connections,
a hard outage); every item still ends somewhere, by retry or by the policy's fail mode."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from moderation_contracts import ModerationRequest
from tests.integration.faults_figures import figures, report
from tests.integration.pipeline_harness import (
    Outcomes,
    Pipeline,
    collect,
    publish,
    request,
    sim_api,
)

pytestmark = [pytest.mark.integration, pytest.mark.faults]

RESILIENCE_ENV = {
    "MODERATION_TRIAGE__TIMEOUT_S": "1",
    "MODERATION_REVIEW__TIMEOUT_S": "1",
    "MODERATION_TRIAGE__MAX_RETRIES": "4",
    "MODERATION_REVIEW__MAX_RETRIES": "4",
    "MODERATION_TRIAGE__CALL_BUDGET_S": "8",
    "MODERATION_REVIEW__CALL_BUDGET_S": "8",
    "MODERATION_TRIAGE__BACKOFF_BASE_S": "0.1",
    "MODERATION_REVIEW__BACKOFF_BASE_S": "0.1",
    "MODERATION_TRIAGE__MAX_IN_FLIGHT": "8",
}


def all_terminal(items: list[ModerationRequest]) -> object:
    def check(outcomes: Outcomes) -> bool:
        return all(outcomes.terminal(item.content_id) for item in items)

    return check


async def test_error_storms_timeouts_and_drops_lose_nothing(pipeline: Pipeline) -> None:
    storm = (
        "--profile", "instant", "--seed", "7", "--retry-after", "0.3",
        "--error-rate", "429=0.2", "--error-rate", "529=0.15", "--error-rate", "500=0.05",
        "--drop-rate", "0.1", "--slow-rate", "0.08", "--slow-ms", "3000",
    )  # fmt: skip
    with sim_api(*storm) as api:
        pipeline.sim_url = api.base_url
        await asyncio.to_thread(pipeline.worker(**RESILIENCE_ENV).start)
        texts = (
            "a friendly message about cooking",
            "[[sim: haiku=flag:harassment:medium; sonnet=allow]] you are a bit dumb",
            "[[sim: all=flag:violence:high]] I will hurt you",
        )
        items = [request(f"storm-{i}", f"{texts[i % len(texts)]} #{i}") for i in range(30)]
        await publish(pipeline.bootstrap, pipeline.topics.requests, items)
        outcomes = await collect(pipeline.bootstrap, pipeline.topics, all_terminal(items), 100)
        stats = api.stats()
    faults = {kind: n for model in stats["models"].values() for kind, n in model["faults"].items()}
    errors = stats.get("errors", {})
    made = report(
        figures(
            "API storm (429/529/500, timeouts, drops)",
            [item.content_id for item in items],
            outcomes,
            notes=f"api calls={stats['requests_total']} errors={errors} faults={faults}",
        )
    )
    assert made.lost == ()
    assert stats["requests_total"] > len(items), "faults were injected and retried"
    retried_to_success = sum(v for k, v in made.outcomes.items() if k.startswith("final:"))
    assert retried_to_success >= len(items) // 3, "most items get through by retrying"


POLICY = """\
tenants:
  openco:
    version: "1"
    fail_mode: open
"""


async def test_hard_outage_opens_the_circuit_and_follows_the_fail_mode(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    with sim_api("--profile", "instant", "--retry-after", "0.2") as api:
        pipeline.sim_url = api.base_url
        env = {
            **RESILIENCE_ENV,
            "MODERATION_POLICY_FILE": str(policy),
            "MODERATION_TRIAGE__MAX_RETRIES": "1",
            "MODERATION_TRIAGE__MAX_IN_FLIGHT": "2",
            "MODERATION_TRIAGE__CIRCUIT_FAILURE_THRESHOLD": "3",
            "MODERATION_TRIAGE__CIRCUIT_COOL_DOWN_S": "120",
        }
        pipeline.partitions = 1
        await asyncio.to_thread(pipeline.worker(**env).start)
        down = "[[sim: haiku=status:529; sonnet=status:529]] "
        closed = [request(f"down-closed-{i}", f"{down}message {i}") for i in range(10)]
        opened = [request(f"down-open-{i}", f"{down}message {i}", "openco") for i in range(6)]
        items = closed + opened
        await publish(pipeline.bootstrap, pipeline.topics.requests, items)
        outcomes = await collect(pipeline.bootstrap, pipeline.topics, all_terminal(items), 90)
        haiku_calls = api.stats()["models"]["claude-haiku-4-5"]["requests"]
    made = report(
        figures(
            "API hard outage (circuit + fail modes)",
            [item.content_id for item in items],
            outcomes,
            notes=f"haiku calls={haiku_calls} for {len(items)} items (2 attempts each w/o circuit)",
        )
    )
    assert made.lost == ()
    # Fail closed (default policy): a human looks at it; fail open (openco): allowed, marked.
    assert made.outcomes.get("human_task:tier_unavailable") == len(closed)
    assert made.outcomes.get("final:allowed/fallback") == len(opened)
    for item in opened:
        final = outcomes.final(item.content_id)
        assert final is not None
        assert "fails open" in final["reason"]
    # Without the circuit every item would cost 2 calls; once open, calls stop.
    assert haiku_calls < len(items)


async def test_a_tight_rate_limit_is_paced_not_hammered(pipeline: Pipeline) -> None:
    """12 requests per minute per model class: the limiter learns it from the headers, waits
    (bounded) for capacity, and what cannot wait follows the fail mode. Nothing is lost."""
    with sim_api("--profile", "instant", "--rpm", "12", "--retry-after", "1") as api:
        pipeline.sim_url = api.base_url
        env = {**RESILIENCE_ENV, "MODERATION_TRIAGE__RATE_LIMIT_MAX_WAIT_S": "4"}
        await asyncio.to_thread(pipeline.worker(**env).start)
        items = [request(f"paced-{i}", f"a calm note about tea, number {i}") for i in range(18)]
        await publish(pipeline.bootstrap, pipeline.topics.requests, items)
        outcomes = await collect(pipeline.bootstrap, pipeline.topics, all_terminal(items), 90)
        stats = api.stats()
    haiku = stats["models"]["claude-haiku-4-5"]
    made = report(
        figures(
            "API rate limit 12 rpm",
            [item.content_id for item in items],
            outcomes,
            notes=f"haiku calls={haiku['requests']} answered 429={haiku['rate_limited']}",
        )
    )
    assert made.lost == ()
    assert haiku["succeeded"] >= 12, "the allowance is used"
    # The limiter knows the remaining allowance from every answer's headers, so callers wait
    # for capacity instead of collecting 429s (a few may race the first answers).
    assert haiku["rate_limited"] <= 2
