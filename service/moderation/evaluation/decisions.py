"""``--from-decisions``: a labelled set from reviewers' final decisions on the topics.

Human-review tasks carry the item; human decisions carry the verdict: ``remove`` with its
categories, or ``allow`` (clean). Escalations are not final and are skipped; the latest final
decision per item wins. The set follows the reviewers over time, so evaluating the current
configuration on it tracks model-versus-human agreement. The file holds moderated content:
keep it where the content itself may be kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from moderation.evaluation.datasets import EvalItem
from moderation_contracts import (
    ContractError,
    HumanAction,
    HumanDecision,
    HumanReviewTask,
    parse_payload,
)


def labelled_from_decisions(
    tasks: Sequence[bytes], decisions: Sequence[bytes], categories: Sequence[str]
) -> tuple[list[EvalItem], int]:
    """Items with a final human decision, and how many records could not be used. Pure."""
    unusable = 0
    requests = {}
    for raw in tasks:
        try:
            task = parse_payload(HumanReviewTask, raw)
        except ContractError:
            unusable += 1
            continue
        requests[(task.request.tenant_id, task.request.content_id)] = task.request
    finals: dict[tuple[str, str], HumanDecision] = {}
    for raw in decisions:
        try:
            human = parse_payload(HumanDecision, raw)
        except ContractError:
            unusable += 1
            continue
        if human.action is HumanAction.ESCALATE:
            continue
        key = (human.tenant_id, human.content_id)
        if key not in finals or finals[key].decided_at <= human.decided_at:
            finals[key] = human
    items = []
    for key, human in sorted(finals.items()):
        request = requests.get(key)
        if request is None:
            unusable += 1  # the task fell out of retention
            continue
        removed = (
            {s.category for s in human.categories} if human.action is HumanAction.REMOVE else set()
        )
        labels: dict[str, bool | None] = {c: c in removed for c in categories}
        kind = "human-remove" if removed else "human-allow"
        items.append(EvalItem(f"{key[0]}.{key[1]}"[:128], request, labels, kind))
    return items, unusable
