"""One builder per stage: what it reads, what it writes, what it needs.

Each builder adds its stage's runners (one per input topic) to the :class:`Assembly`; the
topic names are ``Settings.topics`` (defaults from the contracts' topic map,
``moderation_contracts.topics``).
"""

from __future__ import annotations

from moderation.llm.judge import Judge
from moderation.policy import PolicyLookup
from moderation.stages.appeal import AppealStage, sweep_waiting_forever
from moderation.stages.appeal import sweep_forever as appeal_sweep_forever
from moderation.stages.appeal_intake import AppealIntake, AppealStore
from moderation.stages.finalize import FinalizeIntake, FinalizeStage, FinalizeStore, sweep_forever
from moderation.stages.review import ReviewStage
from moderation.stages.triage import TriageStage
from moderation.worker.assembly import Assembly
from moderation.worker.kafka_config import client_security


def build_triage(assembly: Assembly, judge: Judge, policies: PolicyLookup) -> None:
    """Triage (Haiku).

    - reads: ``requests``
    - writes: ``decisions``, ``review`` (escalations to Sonnet), ``human_review``, ``deadletter``
    - needs: the triage judge (:class:`~moderation.worker.judges.JudgeChain`), the policies
    """
    topics = assembly.settings.topics
    triage = TriageStage(judge, policies, topics)
    assembly.read(topics.requests, "triage", assembly.settings.triage.max_in_flight, triage.handle)


def build_review(assembly: Assembly, judge: Judge, policies: PolicyLookup) -> None:
    """Review (Sonnet).

    - reads: ``review``
    - writes: ``decisions``, ``human_review``, ``deadletter``
    - needs: the review judge, the policies
    """
    topics = assembly.settings.topics
    review = ReviewStage(judge, policies, topics)
    assembly.read(topics.review, "review", assembly.settings.review.max_in_flight, review.handle)


def build_finalize(assembly: Assembly) -> None:
    """Finalize: joins human-review tasks with reviewers' decisions, per item.

    - reads: ``human_review`` and ``human_decisions`` (re-keyed by item onto
      ``finalize_events``), then ``finalize_events``
    - writes: ``finalize_events``, ``finalize_state`` (compacted), ``decisions``,
      ``human_review`` (re-queued escalations), ``deadletter``
    - needs: the per-partition state store (restored from ``finalize_state`` when partitions
      are assigned: a partition hook) and a sweeper that dead-letters parked answers too old
    """
    settings = assembly.settings
    topics = settings.topics
    window = settings.finalize.max_in_flight
    rekey = FinalizeIntake(topics)
    assembly.read(topics.human_review, "finalize", window, rekey.handle)
    assembly.read(topics.human_decisions, "finalize", window, rekey.handle)
    store = FinalizeStore(topics, settings.bootstrap_servers, client_security(settings))
    finalize = FinalizeStage(
        store,
        topics,
        deadline_hours=settings.human_review_deadline_h,
        park_max_age_s=settings.finalize.park_max_age_s,
        park_max_items=settings.finalize.park_max_items,
    )
    assembly.read(
        topics.finalize_events, "finalize", window, finalize.handle, finalize.trace_parent
    )
    assembly.hooks.append(store)
    age = settings.finalize.park_max_age_s
    assembly.background.append(lambda: sweep_forever(store, assembly.sender, age))


def build_appeal(assembly: Assembly, policies: PolicyLookup) -> None:
    """Appeal: keeps each item's last restricting final decision and its appeals, per item;
    builds the statement of reasons as a final decision passes through.

    - reads: ``decisions``, ``appeals`` and ``appeal_decisions`` (re-keyed by item onto
      ``appeal_events``), then ``appeal_events``
    - writes: ``appeal_events``, ``appeal_state`` (compacted), ``appeal_outcomes``,
      ``appeal_tasks`` (the console's appeals queue), ``decisions`` (an overturn's superseding
      decision), ``statements``, ``deadletter``
    - needs: the per-partition state store (restored from ``appeal_state`` when partitions are
      assigned: a partition hook) and the policies (appeal window, statement mapping)
    """
    settings = assembly.settings
    topics = settings.topics
    window = settings.appeal.max_in_flight
    rekey = AppealIntake(topics)
    for source in (topics.decisions, topics.appeals, topics.appeal_decisions):
        assembly.read(source, "appeal", window, rekey.handle)
    store = AppealStore(topics, settings.bootstrap_servers, client_security(settings))
    appeal = AppealStage(
        store,
        policies,
        topics,
        deadline_hours=settings.appeal.decision_deadline_h,
        state_grace_days=settings.appeal.state_grace_days,
        unknown_wait_s=settings.appeal.unknown_wait_s,
    )
    assembly.read(topics.appeal_events, "appeal", window, appeal.handle)
    assembly.hooks.append(store)
    interval = settings.appeal.sweep_interval_s
    assembly.background.append(lambda: appeal_sweep_forever(appeal, assembly.sender, interval))
    assembly.background.append(lambda: sweep_waiting_forever(appeal, assembly.sender))
