"""The appeal stage, step 1: re-key final decisions, appeals and reviewers' appeal decisions.

Appeals and reviewers' answers come from outside clients (any partitioner), and the final
decisions they refer to from the service's own stages; like finalize, the appeal stage puts all
three onto one internal topic it writes itself, keyed by content_id, so the events of one item
meet on one partition in the order the service saw them. Step 2 is
:class:`moderation.stages.appeal.AppealStage`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import ValidationError

from moderation.settings import TopicNames
from moderation.stages.deadletters import invalid_input
from moderation.stages.outputs import decision_id_for, output, utc_clock
from moderation.streaming.keyed_state import KeyedStateStore, StateTable
from moderation.streaming.records import Inbound, Outbound, Outcome
from moderation.streaming.runner import Sender
from moderation_contracts import (
    Appeal,
    AppealDecision,
    AppealEvent,
    AppealEventKind,
    AppealOutcome,
    AppealRejection,
    AppealState,
    AppealStatus,
    ContractError,
    Decision,
    DecisionStatus,
    Source,
    dump_payload,
    parse_payload,
)

STAGE = "appeal"
_ANSWER_IDS = ("appeal_id", "content_id", "tenant_id", "appellant_id")


def invalid_appeal_answer(raw: bytes, error: ContractError) -> AppealOutcome | None:
    """A ``rejected`` answer to an appeal that broke the contract, when the ids to address it
    can be read (the message names the field and the rule, never the value)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    ids = {name: data.get(name) for name in _ANSWER_IDS}
    try:
        return AppealOutcome(
            **ids,
            status=AppealStatus.REJECTED,
            rejection=AppealRejection.INVALID,
            reason=str(error)[:4000],
            submitted_at=utc_clock(),
        )
    except ValidationError:
        return None


@dataclass
class AppealStore(KeyedStateStore[AppealState]):
    """The appeal stage's per-item state (last final decision, its appeals), restored from the
    compacted appeal-state topic when a partition moves here."""

    names: TopicNames
    bootstrap_servers: str = ""
    client_options: dict[str, object] = field(default_factory=dict)
    table: StateTable = field(default_factory=StateTable)
    asked: dict[str, dict[str, datetime]] = field(default_factory=dict)
    forget_after: Callable[[AppealState], datetime | None] | None = None
    """When an item's state may be dropped (set by the stage, which knows the tenants' windows);
    the forgetting sweep reads only the states this says are due."""
    label = "appeal"
    state_model = AppealState

    @property
    def state_topic(self) -> str:
        return self.names.appeal_state

    @property
    def events_topic(self) -> str:
        return self.names.appeal_events

    async def sweep(
        self, sender: Sender, now: datetime, due: Callable[[AppealState], bool], repeat: timedelta
    ) -> int:
        """Send an ``expire`` event for each item ``due`` says may be forgotten; the stage
        drops it (:meth:`moderation.stages.appeal.AppealStage.handle`) if it still may."""

        return await self.ask_owners(sender, now, due, _expire, "expire", repeat, due_by=now)

    def due_at(self, state: AppealState) -> datetime | None:
        return None if self.forget_after is None else self.forget_after(state)

    async def sweep_waiting(self, sender: Sender, now: datetime, max_age: timedelta) -> int:
        """Send an ``expire`` event for each item whose oldest waiting appeal has waited
        ``max_age`` for its decision; the stage answers it (unknown_item). Reads only the
        items with waiting appeals."""

        def due(state: AppealState) -> bool:
            return bool(state.waiting) and min(w.parked_at for w in state.waiting) <= now - max_age

        return await self.ask_owners(
            sender, now, due, _expire, "expire_waiting", max_age / 4, marked_only=True
        )

    def marked(self, state: AppealState) -> bool:
        return bool(state.waiting)  # the waiting sweep looks only at these


def _expire(content_id: str) -> AppealEvent:
    return AppealEvent(kind=AppealEventKind.EXPIRE, content_id=content_id)


def _source(inbound: Inbound) -> Source:
    """Where the record was read, with its original bytes for a later dead letter."""
    return Source(
        topic=inbound.topic,
        partition=inbound.partition,
        offset=inbound.offset,
        key_b64=base64.b64encode(inbound.key).decode() if inbound.key else None,
        value_b64=base64.b64encode(inbound.value or b"").decode(),
    )


@dataclass
class AppealIntake:
    """Step 1: validate and re-key onto the internal appeal-events topic."""

    topics: TopicNames

    async def handle(self, inbound: Inbound) -> Outcome:
        raw = inbound.value or b""
        try:
            if inbound.topic == self.topics.decisions:
                made = parse_payload(Decision, raw)
                if not made.final or made.status is DecisionStatus.REJECTED:
                    # Nothing to appeal: interim decisions and rejected requests.
                    return Outcome((), "not_appealable", made.content_id, made.tenant_id)
                if made.decision_id is None:  # from a worker older than contract 1.2
                    legacy = decision_id_for(
                        made.tenant_id, made.content_id, str(made.decided_by), str(made.status)
                    )
                    made = made.model_copy(update={"decision_id": legacy})
                event = AppealEvent(
                    kind=AppealEventKind.DECISION, content_id=made.content_id, decision=made
                )
                tenant = made.tenant_id
            elif inbound.topic == self.topics.appeals:
                appeal = parse_payload(Appeal, raw)
                event = AppealEvent(
                    kind=AppealEventKind.APPEAL,
                    content_id=appeal.content_id,
                    appeal=appeal,
                    source=_source(inbound),
                )
                tenant = appeal.tenant_id
            else:
                answer = parse_payload(AppealDecision, raw)
                event = AppealEvent(
                    kind=AppealEventKind.ANSWER,
                    content_id=answer.content_id,
                    answer=answer,
                    source=_source(inbound),
                )
                tenant = answer.tenant_id
        except ContractError as error:
            rejected = invalid_input(inbound, self.topics, STAGE, error)
            if inbound.topic != self.topics.appeals:
                return rejected
            told = invalid_appeal_answer(raw, error)
            if told is None:  # nothing to address an answer to: the dead letter alone
                return rejected
            outcome = output(self.topics.appeal_outcomes, told, told.content_id, "outcome")
            return Outcome(
                (*rejected.outputs, outcome), rejected.route, told.content_id, told.tenant_id
            )
        record = Outbound(
            topic=self.topics.appeal_events,
            key=event.content_id.encode(),
            value=dump_payload(event),
            route=f"rekey_{event.kind}",
        )
        return Outcome((record,), record.route, event.content_id, tenant)
