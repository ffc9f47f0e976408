"""Every route end to end: real broker, real worker process, simulated Anthropic API."""

from __future__ import annotations

import asyncio
import base64
import json

from tests.integration.pipeline_harness import Outcomes, Pipeline, collect, publish, request

ROUTES = {
    # content_id: (text, expected final status, decided_by)
    "benign": ("What a lovely sunset over the lake today!", "allowed", "haiku"),
    "overturned": (
        "[[sim: haiku=flag:harassment:medium; sonnet=allow]] you are a bit dumb lol",
        "allowed",
        "sonnet",
    ),
    "to-human-remove": ("[[sim: all=flag:violence:high]] I will hurt you", "removed", "human"),
    "to-human-allow": ("[[sim: all=flag:hate:medium:0.7]] borderline joke", "allowed", "human"),
    "haiku-refuses": ("[[sim: haiku=refuse; sonnet=allow]] a question", "allowed", "sonnet"),
    "haiku-malformed-once": ("[[sim: haiku=malformed_once]] hello there", "allowed", "haiku"),
    "sonnet-refuses": (
        "[[sim: haiku=flag:sexual:medium; sonnet=refuse]] hmm",
        "allowed",
        "human",
    ),
    "haiku-down": ("[[sim: haiku=status:529; sonnet=allow]] anything", "allowed", "human"),
}
REVIEWER = {
    "to-human-remove": "remove",
    "to-human-allow": "allow",
    "sonnet-refuses": "allow",
    "haiku-down": "allow",
}


async def test_every_route_reaches_its_final_decision(pipeline: Pipeline) -> None:
    await asyncio.to_thread(pipeline.worker().start)
    items = [request(cid, text) for cid, (text, _, _) in ROUTES.items()]
    await publish(pipeline.bootstrap, pipeline.topics.requests, items)

    def done(outcomes: Outcomes) -> bool:
        return all(outcomes.final(cid) for cid in ROUTES)

    outcomes = await collect(pipeline.bootstrap, pipeline.topics, done, 90, reviewer=REVIEWER)
    for cid, (_, status, decided_by) in ROUTES.items():
        final = outcomes.final(cid)
        assert final is not None
        assert (cid, final["status"], final["decided_by"]) == (cid, status, decided_by)
        assert final["trace_id"], "every decision names its trace"
    for cid, decisions in outcomes.decisions.items():  # pending, fallback and human ones too
        for made in decisions:
            assert made["policy_id"] == "default", (cid, made["status"])
            assert made["policy_version"], (cid, made["status"])
    # A flagged item first tells upstream to hold it, then gives the final word.
    statuses = [d["status"] for d in outcomes.decisions["overturned"]]
    assert statuses == ["pending_review", "allowed"]
    assert outcomes.final("overturned")["overturned"] is True  # type: ignore[index]
    # Cost accumulates across tiers: the human decision carries both models' cost.
    cost = outcomes.final("to-human-remove")["cost"]  # type: ignore[index]
    assert {tier["tier"] for tier in cost["tiers"]} == {"haiku", "sonnet"}
    assert cost["total_usd"] > 0
    reasons = {cid: outcomes.tasks[cid][0]["escalation_reason"] for cid in REVIEWER}
    assert reasons == {
        "to-human-remove": "flagged_confirmed",
        "to-human-allow": "flagged_confirmed",
        "sonnet-refuses": "model_refused",
        "haiku-down": "tier_unavailable",
    }
    # Per key, the pending decision precedes the final one in the partition.
    for cid in ("overturned", "to-human-remove"):
        offsets = outcomes.decision_offsets[cid]
        assert len({partition for partition, _ in offsets}) == 1
        assert [offset for _, offset in offsets] == sorted(offset for _, offset in offsets)


async def test_bad_input_goes_to_the_dead_letter_topic_and_never_blocks(
    pipeline: Pipeline,
) -> None:
    pipeline.partitions = 1  # one partition: the poison items sit in front of the good ones
    await asyncio.to_thread(pipeline.worker().start)
    bad = [
        (b"garbage", b"\xff\xfe\x00 not utf-8"),
        (b"not-json", b"{this is not json"),
        (b"missing", json.dumps({"content_id": "missing", "tenant_id": "acme"}).encode()),
        (b"array", b"[1, 2, 3]"),
        (b"deep", b"[" * 5000 + b"]" * 5000),
    ]
    good = [request(f"good-{index}", f"hello number {index}") for index in range(5)]
    await publish(pipeline.bootstrap, pipeline.topics.requests, [*bad, *good])

    def done(outcomes: Outcomes) -> bool:
        return len(outcomes.dead_letters) >= len(bad) and all(
            outcomes.final(item.content_id) for item in good
        )

    outcomes = await collect(pipeline.bootstrap, pipeline.topics, done, 60)
    codes = {}
    for key, raw in bad:
        letter = outcomes.dead_letter_for(key.decode())
        assert letter is not None, key
        assert base64.b64decode(letter["original_value_b64"]) == raw, "original bytes are kept"
        assert letter["source_topic"] == pipeline.topics.requests
        codes[key.decode()] = letter["error_code"]
    assert codes == {
        "garbage": "invalid_utf8",
        "not-json": "invalid_json",
        "missing": "schema_mismatch",
        "array": "not_an_object",
        "deep": "too_deep",
    }
    # Where content_id and tenant_id could be read, upstream also gets a rejected decision.
    rejected = outcomes.final("missing")
    assert rejected is not None
    assert rejected["status"] == "rejected"
    assert rejected["policy_id"] == "default", "even a rejected request names the policy"
    assert rejected["policy_version"]
    assert all(outcomes.final(item.content_id)["status"] == "allowed" for item in good)  # type: ignore[index]


async def test_a_human_decision_whose_task_never_comes_is_dead_lettered_after_its_wait(
    pipeline: Pipeline,
) -> None:
    from moderation_contracts import HumanDecision, dump_payload

    # Parked, not rejected: only once the park bound passes does the answer become a dead letter.
    worker = pipeline.worker(MODERATION_FINALIZE__PARK_MAX_AGE_S="4")
    await asyncio.to_thread(worker.start)
    stray = HumanDecision(content_id="nobody", tenant_id="acme", reviewer_id="r1", action="allow")
    await publish(
        pipeline.bootstrap,
        pipeline.topics.human_decisions,
        [(b"nobody", dump_payload(stray))],
    )
    outcomes = await collect(
        pipeline.bootstrap, pipeline.topics, lambda o: bool(o.dead_letters), 45
    )
    letter = outcomes.dead_letters[0]
    assert letter["error_code"] == "no_open_task"
    assert letter["source_topic"] == pipeline.topics.human_decisions
    assert "within 4s" in letter["error_message"]
