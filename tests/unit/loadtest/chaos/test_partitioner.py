"""The reviewer's partitioner matches librdkafka's ``consistent_random`` (CRC-32 of the key).

Vectors: the CRC-32 check value of "123456789", and the keys and hashes librdkafka's own test
``tests/0048-partitioner.c`` expects for ``consistent_random`` with 7 and 17 partitions.
"""

from __future__ import annotations

import pytest
from aiokafka.partitioner import DefaultPartitioner
from loadtest.chaos.partitioner import java_partition, librdkafka_partition

LIBRDKAFKA_VECTORS = [
    (b"23456", 0xB1B451D7),
    (b"this is another string with more length to it perhaps", 0xB0150DF7),
    (b"hejsan", 0xD077037E),
]


def test_the_crc_is_the_standard_reflected_crc32() -> None:
    # CRC-32/ISO-HDLC check value; 2**32 partitions would show the hash itself.
    assert librdkafka_partition(b"123456789", 2**32) == 0xCBF43926


@pytest.mark.parametrize("partitions", [7, 17])
@pytest.mark.parametrize(("key", "crc"), LIBRDKAFKA_VECTORS)
def test_partitions_match_librdkafkas_own_test_vectors(
    key: bytes, crc: int, partitions: int
) -> None:
    assert librdkafka_partition(key, partitions) == crc % partitions


def test_the_modulo_is_unsigned_with_no_sign_mask() -> None:
    # 0xB1B451D7 has the top bit set: masking it like the Java client would gives another answer.
    assert librdkafka_partition(b"23456", 7) == 5
    assert (0xB1B451D7 & 0x7FFFFFFF) % 7 == 3


def test_it_differs_from_the_java_style_murmur2_partitioner_for_real_keys() -> None:
    keys = [f"c-{n}".encode() for n in range(40)]
    differ = [k for k in keys if librdkafka_partition(k, 4) != java_partition(k, 4)]
    assert len(differ) > 10  # roughly 3 in 4 keys land elsewhere


@pytest.mark.parametrize(
    ("key", "hashed"),
    [(b"23456", 0x058D780F), (b"hejsan", 0x5EC19395), (b"", 0x106E08D9)],
)
def test_the_java_partitioner_matches_librdkafkas_murmur2_vectors(key: bytes, hashed: int) -> None:
    assert java_partition(key, 17) == (hashed & 0x7FFFFFFF) % 17
    aiokafka_default = DefaultPartitioner()
    assert java_partition(key, 4) == aiokafka_default(key, [0, 1, 2, 3], [0, 1, 2, 3])


def test_empty_keys_and_no_partitions_are_refused() -> None:
    with pytest.raises(ValueError, match="empty key"):
        librdkafka_partition(b"", 4)
    with pytest.raises(ValueError, match="at least one partition"):
        librdkafka_partition(b"k", 0)
