"""Batch mode: route a tier's calls through the Message Batches API at half the price.

``BatchClassifier(fallback, BatchSubmitter(client.messages.batches, settings.batch), tracer)``
replaces a tier's classifier; its settings (``MODERATION_BATCH__*``) are ``Settings.batch``.
"""

from moderation.batch.classifier import BatchClassifier, BatchCounters
from moderation.batch.results import batch_params, custom_id
from moderation.batch.submitter import BatchesApi, BatchSubmitter, SubmitterCounters

__all__ = [
    "BatchClassifier",
    "BatchCounters",
    "BatchSubmitter",
    "BatchesApi",
    "SubmitterCounters",
    "batch_params",
    "custom_id",
]
