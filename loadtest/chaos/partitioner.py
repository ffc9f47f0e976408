"""The partition librdkafka's default partitioner (``consistent_random``) picks for a key.

librdkafka (and so kcat, confluent-kafka-python, the Go and .NET clients) hashes a non-empty
key with CRC-32 and takes it modulo the partition count (``rd_kafka_msg_partitioner_consistent``
in ``src/rdkafka_msg.c``). Its CRC-32 (``src/rdcrc32.h``) is the reflected 0x04C11DB7
polynomial with initial value and final XOR 0xFFFFFFFF: the same function as zlib's ``crc32``.
The modulo is taken on the unsigned 32-bit value, with no sign masking (unlike the Java
client's murmur2 partitioner). Empty or missing keys are spread at random; the service always
keys by ``content_id``, so only the keyed case matters here.

``java_partition`` is the Java client's choice (murmur2, sign bit masked), which the service's
own aiokafka producers make too; ``--partitioner murmur2`` lets a soak separate "the answer
landed on another partition" from every other way an answer can go wrong.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

from aiokafka.partitioner import murmur2


def librdkafka_partition(key: bytes, partitions: int) -> int:
    """The partition ``consistent_random`` chooses for a non-empty ``key``."""
    if partitions < 1:
        raise ValueError("a topic has at least one partition")
    if not key:
        raise ValueError("librdkafka partitions an empty key at random; give a key")
    return zlib.crc32(key) % partitions


def java_partition(key: bytes, partitions: int) -> int:
    """The partition the Java client's (and aiokafka's) default partitioner picks."""
    if partitions < 1:
        raise ValueError("a topic has at least one partition")
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


PARTITIONERS: dict[str, Callable[[bytes, int], int]] = {
    "crc32": librdkafka_partition,
    "murmur2": java_partition,
}
