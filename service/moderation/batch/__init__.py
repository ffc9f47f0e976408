"""Batch mode: route a tier's calls through the Message Batches API at half the price.

``BatchClassifier(fallback, BatchSubmitter(client.messages.batches, BatchSettings()), tracer)``
replaces a tier's classifier; ``BatchSettings`` reads ``MODERATION_BATCH__*``.
"""

from moderation.batch.classifier import BatchClassifier, BatchCounters
from moderation.batch.results import batch_cost, batch_params, custom_id, judgement_of
from moderation.batch.settings import BatchSettings
from moderation.batch.submitter import BatchesApi, BatchSubmitter, SubmitterCounters

__all__ = [
    "BatchClassifier",
    "BatchCounters",
    "BatchSettings",
    "BatchSubmitter",
    "BatchesApi",
    "SubmitterCounters",
    "batch_cost",
    "batch_params",
    "custom_id",
    "judgement_of",
]
