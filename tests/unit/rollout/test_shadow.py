"""Shadow mode: production's answer untouched, the candidate afterwards, bounded and counted."""

from __future__ import annotations

import asyncio

from moderation.levers import ShadowSettings
from moderation.llm.judge import JudgementKind, JudgeRequest
from moderation.policy import PolicyBook
from moderation.rollout.shadow import ShadowJudge
from moderation_contracts import ShadowComparison, ShadowStage, parse_payload
from tests.support.judges import FakeJudge, context, request
from tests.support.rollout import Published, metrics, points

POLICY = PolicyBook.load().default


def shadow(
    production: FakeJudge, candidate: FakeJudge, published: Published, **settings: object
) -> ShadowJudge:
    values: dict[str, object] = {"enabled": True, "share_percent": 100.0, **settings}
    return ShadowJudge(
        production,
        candidate,
        stage=ShadowStage.TRIAGE,
        settings=ShadowSettings.model_validate(values),
        publish=published,
        topic="moderation.shadow.v1.test",
        metrics=metrics()[0],
        baseline_id="baseline",
    )


async def settle(judge: ShadowJudge) -> None:
    for _ in range(50):
        if not judge.in_flight:
            return
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)


async def test_production_judgement_is_returned_unchanged_and_compared_afterwards() -> None:
    production = FakeJudge("claude-haiku-4-5", ["harassment"], cost_usd=0.002)
    candidate = FakeJudge("claude-haiku-5-5", [], cost_usd=0.001, config_id="next")
    published = Published()
    judge = shadow(production, candidate, published)
    item = request()
    answer = await judge.classify(JudgeRequest(item, POLICY, context(item)))
    assert answer.costs[0].cost_usd == 0.002  # the item's cost is production's alone
    assert answer.verdict is not None
    assert answer.verdict.model == "claude-haiku-4-5"
    await settle(judge)
    assert candidate.calls == ["shadow-triage"]  # its own stage label for metrics and spans
    (record,) = published.records
    assert record.topic == "moderation.shadow.v1.test"
    assert record.key == b"c-1"
    comparison = parse_payload(ShadowComparison, record.value)
    assert comparison.production.config_id == "baseline"
    assert comparison.candidate.config_id == "next"
    assert (comparison.production.flagged, comparison.candidate.flagged) == (True, False)
    assert comparison.production.route == "review"
    assert comparison.candidate.route == "allow"
    assert comparison.flips == ["harassment"]
    assert not comparison.agree
    assert (comparison.production.cost_usd, comparison.candidate.cost_usd) == (0.002, 0.001)


async def test_items_outside_the_share_are_not_shadowed() -> None:
    candidate = FakeJudge("claude-haiku-5-5")
    published = Published()
    judge = shadow(FakeJudge("claude-haiku-4-5"), candidate, published, share_percent=0.0)
    item = request()
    await judge.classify(JudgeRequest(item, POLICY, context(item)))
    await settle(judge)
    assert candidate.calls == []
    assert published.records == []


async def test_a_full_budget_skips_and_counts_without_waiting() -> None:
    gate = asyncio.Event()
    candidate = FakeJudge("claude-haiku-5-5", gate=gate)
    published = Published()
    judge = shadow(FakeJudge("claude-haiku-4-5"), candidate, published, max_in_flight=2)
    answers = []
    for index in range(5):
        item = request(f"c-{index}")
        # production answers at once although the candidate is stuck
        answers.append(
            await asyncio.wait_for(judge.classify(JudgeRequest(item, POLICY, context(item))), 1)
        )
    assert len(answers) == 5
    assert judge.in_flight == 2
    assert judge.skipped == {"budget": 3}
    gate.set()
    await settle(judge)
    assert len(published.records) == 2


async def test_the_shadow_circuit_opens_after_failures_and_skips() -> None:
    candidate = FakeJudge("claude-haiku-5-5", kind=JudgementKind.UNAVAILABLE)
    published = Published()
    judge = shadow(FakeJudge("claude-haiku-4-5"), candidate, published, circuit_failure_threshold=2)
    for index in range(5):
        item = request(f"c-{index}")
        await judge.classify(JudgeRequest(item, POLICY, context(item)))
        await settle(judge)
    assert len(candidate.calls) == 2
    assert judge.skipped == {"circuit_open": 3}
    # the two calls that happened are still compared (the candidate was unavailable)
    outcomes = [
        parse_payload(ShadowComparison, r.value).candidate.outcome for r in published.records
    ]
    assert outcomes == ["unavailable", "unavailable"]


async def test_a_candidate_that_raises_never_reaches_production() -> None:
    candidate = FakeJudge("claude-haiku-5-5", error=RuntimeError("boom"))
    published = Published()
    judge = shadow(FakeJudge("claude-haiku-4-5", ["spam"]), candidate, published)
    item = request()
    answer = await judge.classify(JudgeRequest(item, POLICY, context(item)))
    await settle(judge)
    assert answer.verdict is not None
    assert [s.category for s in answer.verdict.categories] == ["spam"]
    assert judge.skipped == {"error": 1}
    assert published.records == []


async def test_shadow_metrics_count_agreement_flips_and_skips() -> None:
    rollout_metrics, reader = metrics()
    published = Published()
    judge = ShadowJudge(
        FakeJudge("claude-haiku-4-5", ["spam"], cost_usd=0.002),
        FakeJudge("claude-haiku-5-5", ["spam", "hate"], cost_usd=0.001, config_id="next"),
        stage=ShadowStage.TRIAGE,
        settings=ShadowSettings(enabled=True, share_percent=100.0),
        publish=published,
        topic="shadow",
        metrics=rollout_metrics,
    )
    item = request()
    await judge.classify(JudgeRequest(item, POLICY, context(item)))
    await settle(judge)
    comparisons = points(reader, "moderation.shadow.comparisons")
    assert list(comparisons.values()) == [1]
    assert ("moderation.agree", "true") in next(iter(comparisons))
    flips = points(reader, "moderation.shadow.flips")
    assert flips == {
        (
            ("moderation.category", "hate"),
            ("moderation.direction", "candidate_flags"),
            ("moderation.stage", "triage"),
        ): 1
    }
    costs = points(reader, "moderation.shadow.cost.usd")
    assert sorted(costs.values()) == [0.001, 0.002]
