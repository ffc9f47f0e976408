"""The dead letter of the largest message a topic admits still fits the dead-letter topic."""

from __future__ import annotations

from moderation.settings import TopicNames
from moderation.worker.topics import contract_limits
from moderation_contracts import DeadLetter, dump_payload


def test_every_topic_gets_a_limit_and_dead_letters_of_the_largest_inputs_fit() -> None:
    topics = TopicNames()
    limits = contract_limits(topics)
    assert set(limits) == set(topics.all())
    for source in topics.all():
        if source == topics.deadletter:
            continue
        largest = b"\xff" * limits[source]  # the broker admits nothing bigger on that topic
        letter = DeadLetter.capture(
            largest,
            b"k" * 128,
            error_code="too_large",
            error_message="x" * 2000,
            source_topic=source,
            source_partition=0,
            source_offset=0,
            headers=[("traceparent", b"0" * 55)],
        )
        size = len(dump_payload(letter))
        assert size < limits[topics.deadletter], source
        # Kafka's own default (about 1 MiB) would refuse it: the setting is needed.
        assert size > 1024 * 1024, source
