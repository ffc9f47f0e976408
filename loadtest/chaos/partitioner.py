"""The partition librdkafka's default partitioner (``consistent_random``) picks for a key.

librdkafka (and so kcat, confluent-kafka-python, the Go and .NET clients) hashes a non-empty
key with CRC-32 and takes it modulo the partition count (``rd_kafka_msg_partitioner_consistent``
in ``src/rdkafka_msg.c``). Its CRC-32 (``src/rdcrc32.h``) is the reflected 0x04C11DB7
polynomial with initial value and final XOR 0xFFFFFFFF: the same function as zlib's ``crc32``.
The modulo is taken on the unsigned 32-bit value, with no sign masking (unlike the Java
client's murmur2 partitioner). Empty or missing keys are spread at random; the service always
keys by ``content_id``, so only the keyed case matters here.
"""

from __future__ import annotations

import zlib


def librdkafka_partition(key: bytes, partitions: int) -> int:
    """The partition ``consistent_random`` chooses for a non-empty ``key``."""
    if partitions < 1:
        raise ValueError("a topic has at least one partition")
    if not key:
        raise ValueError("librdkafka partitions an empty key at random; give a key")
    return zlib.crc32(key) % partitions
