"""How the worker turns batch mode on for a tier (``MODERATION_BATCH__ENABLED=true``)."""

from __future__ import annotations

import anthropic
from opentelemetry.trace import Tracer

from moderation.batch.classifier import BatchClassifier
from moderation.batch.submitter import BatchSubmitter
from moderation.levers import BatchSettings
from moderation.llm.judge import Judge
from moderation.telemetry import Metrics


def batched(
    judge: Judge,
    settings: BatchSettings,
    *,
    stage: str,
    api_key: str | None,
    base_url: str | None,
    tracer: Tracer,
    metrics: Metrics | None = None,
) -> Judge:
    """``judge`` answered through Message Batches when enabled for ``stage``; else unchanged.

    Batch calls use their own client (short timeouts, SDK retries for the create/poll calls);
    ``judge`` stays the interactive fallback.
    """
    if not settings.covers(stage):
        return judge
    client = anthropic.AsyncAnthropic(
        api_key=api_key, base_url=base_url, timeout=30.0, max_retries=2, open_telemetry=False
    )
    submitter = BatchSubmitter(client.messages.batches, settings)
    return BatchClassifier(judge, submitter, tracer, metrics=metrics)
