"""Answers are cached as they arrive: an interrupted run continues, --max-cost stops early."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderation.evaluation.answers import AnswerCache
from moderation.evaluation.datasets import EvalItem, parse_lines
from moderation.evaluation.runner import ConfigPath, run
from moderation.policy import PolicyBook
from moderation.rollout.configs import RolloutConfig
from moderation_contracts import Tier
from tests.support.judges import Crash, ScriptedJudge

BOOK = PolicyBook.load()
CATEGORIES = BOOK.default.category_names()


def dataset(n: int) -> list[EvalItem]:
    lines = [
        f'{{"id": "item-{i}", "text": "{"an insult" if i % 2 else "hello"} {i}", '
        f'"expected": {["harassment"] if i % 2 else []}}}'.replace("'", '"')
        for i in range(n)
    ]
    return parse_lines(lines, CATEGORIES)


def path(judge: ScriptedJudge, review: ScriptedJudge | None = None) -> ConfigPath:
    config = RolloutConfig(id="fake")
    return ConfigPath(config, BOOK, judge, review or ScriptedJudge(Tier.SONNET))


async def test_an_interrupted_run_continues_where_it_stopped(tmp_path: Path) -> None:
    items = dataset(10)
    first = ScriptedJudge()
    first.fail_on = 5
    cache = AnswerCache(tmp_path, RolloutConfig(id="fake"), BOOK.default)
    with pytest.raises(Crash):
        await run(items, [path(first)], [cache], concurrency=1)
    cache.close()
    answered_before = len(cache.answers)
    assert answered_before == 4  # the fifth call was interrupted

    again = ScriptedJudge()
    resumed = AnswerCache(tmp_path, RolloutConfig(id="fake"), BOOK.default)
    answers, progress = await run(items, [path(again)], [resumed], concurrency=3)
    resumed.close()
    assert again.calls == 10 - answered_before
    assert progress.cached == answered_before
    assert [a.item_id for a in answers["fake"]] == [item.item_id for item in items]


async def test_a_torn_last_line_is_asked_again(tmp_path: Path) -> None:
    items = dataset(3)
    cache = AnswerCache(tmp_path, RolloutConfig(id="fake"), BOOK.default)
    await run(items, [path(ScriptedJudge())], [cache])
    cache.close()
    lines = cache.path.read_text().splitlines()
    cache.path.write_text("\n".join(lines[:2]) + "\n" + lines[2][:17])  # killed mid-write

    judge = ScriptedJudge()
    reread = AnswerCache(tmp_path, RolloutConfig(id="fake"), BOOK.default)
    assert (len(reread.answers), reread.torn_lines) == (2, 1)
    answers, _ = await run(items, [path(judge)], [reread])
    reread.close()
    assert judge.calls == 1
    assert len(answers["fake"]) == 3
    assert len(AnswerCache(tmp_path, RolloutConfig(id="fake"), BOOK.default).answers) == 3


async def test_a_changed_config_does_not_reuse_answers(tmp_path: Path) -> None:
    items = dataset(2)
    first = AnswerCache(tmp_path, RolloutConfig(id="fake"), BOOK.default)
    await run(items, [path(ScriptedJudge())], [first])
    first.close()
    changed = RolloutConfig.model_validate({"id": "fake", "triage": {"max_tokens": 300}})
    assert AnswerCache(tmp_path, changed, BOOK.default).answers == {}


async def test_max_cost_stops_before_spending_more(tmp_path: Path) -> None:
    items = dataset(20)
    judge = ScriptedJudge(cost_usd=0.01)
    cache = AnswerCache(tmp_path, RolloutConfig(id="fake"), BOOK.default)
    # clean items cost one triage call (0.01); insults also go to review (0.02 in all)
    answers, progress = await run(
        items, [path(judge, ScriptedJudge(Tier.SONNET, 0.01))], [cache], max_cost_usd=0.1
    )
    cache.close()
    assert progress.stopped_for_cost
    assert progress.spent_usd <= 0.1 + 1e-9
    assert 0 < len(answers["fake"]) < 20


async def test_answers_follow_the_routing_table(tmp_path: Path) -> None:
    items = dataset(2)
    cache = AnswerCache(tmp_path, RolloutConfig(id="fake"), BOOK.default)
    answers, _ = await run(items, [path(ScriptedJudge())], [cache])
    clean, insult = answers["fake"]
    assert (clean.route, clean.to_review, clean.flagged, clean.models) == (
        "allow",
        False,
        [],
        ["fake-haiku"],
    )
    # triage flags, review confirms: the default policy sends confirmed harassment to humans
    assert insult.to_review
    assert insult.to_human
    assert insult.route == "human:flagged_confirmed"
    assert insult.flagged == ["harassment"]
    assert insult.scores == {"harassment": 0.9}
    assert insult.cost_usd == pytest.approx(0.002)
