"""``python -m loadtest chaos``: a soak that crashes a worker (and sometimes the broker) per run.

Each run drives two ``moderation worker`` processes in one consumer group through a few hundred
items with realistic simulated model latency, answers the human-review tasks as a scripted
reviewer would (on the partition librdkafka's default partitioner picks), SIGKILLs one worker
at a random moment and restarts it, and on every few runs also restarts the broker. It counts
lost and stalled items, duplicate terminal records and rejected reviewer answers; see
loadtest/README.md ("Chaos soak") for what each figure means.

The soak only uses the worker's public contract: the ``moderation worker`` command, settings
from the environment, ``/readyz`` and ``/livez``, and the topics in ``contracts/``.
"""
