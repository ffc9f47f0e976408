"""A throwaway single-node Apache Kafka broker (KRaft) for local runs and tests.

The broker's jars come from Maven Central once and are cached under the user's home; the broker
itself runs from a per-address state folder that ``down`` removes again.
"""

from moderation_dev.devkafka.broker import (
    BrokerHandle,
    BrokerSpec,
    free_port,
    local_kafka,
    restart_broker,
    start_broker,
    stop_broker,
)
from moderation_dev.devkafka.probe import kafka_answers
from moderation_dev.devkafka.runtime import KafkaRuntime, ensure_runtime

__all__ = [
    "BrokerHandle",
    "BrokerSpec",
    "KafkaRuntime",
    "ensure_runtime",
    "free_port",
    "kafka_answers",
    "local_kafka",
    "restart_broker",
    "start_broker",
    "stop_broker",
]
