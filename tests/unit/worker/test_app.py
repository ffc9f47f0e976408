"""The composition root: each stage's builder adds the runners of the topics it reads."""

from __future__ import annotations

import pytest

from moderation.policy import PolicyBook
from moderation.settings import Settings
from moderation.telemetry import setup_for_tests
from moderation.worker.app import build_app

TOPICS = Settings().topics


@pytest.mark.parametrize(
    ("stages", "reads"),
    [
        ("triage", {TOPICS.requests}),
        ("review", {TOPICS.review}),
        ("finalize", {TOPICS.human_review, TOPICS.human_decisions, TOPICS.finalize_events}),
        (
            "appeal",
            {TOPICS.decisions, TOPICS.appeals, TOPICS.appeal_decisions, TOPICS.appeal_events},
        ),
        (
            "triage,review,finalize,appeal",
            {
                TOPICS.requests,
                TOPICS.review,
                TOPICS.human_review,
                TOPICS.human_decisions,
                TOPICS.finalize_events,
                TOPICS.decisions,
                TOPICS.appeals,
                TOPICS.appeal_decisions,
                TOPICS.appeal_events,
            },
        ),
    ],
)
def test_each_stage_reads_its_topics(stages: str, reads: set[str]) -> None:
    settings = Settings(anthropic_api_key="sk-test", stages=stages, web_port=0)
    wiring = build_app(settings, setup_for_tests(), PolicyBook.load())
    assert wiring.source_topics == reads
    runner_stages = {runner.config.stage for runner in wiring.runners.values()}
    assert runner_stages == set(stages.split(","))


def test_only_model_stages_watch_the_model_api() -> None:
    def watched(stages: str) -> bool:
        settings = Settings(anthropic_api_key="sk-test", stages=stages, web_port=0)
        return build_app(settings, setup_for_tests(), PolicyBook.load()).api_watch is not None

    assert watched("triage")
    assert watched("review")
    assert not watched("finalize")
    assert not watched("appeal")
