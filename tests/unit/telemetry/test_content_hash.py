"""The content hash on spans is an HMAC under a deployment secret (random per process if unset),
so a short common text cannot be recovered by hashing a dictionary of candidates."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest

from moderation.telemetry import content_hash, set_content_hash_key


@pytest.fixture(autouse=True)
def random_key_after() -> Iterator[None]:
    yield
    set_content_hash_key(None)


def test_a_dictionary_of_plain_hashes_does_not_recover_short_texts() -> None:
    dictionary = {hashlib.sha256(w.encode()).hexdigest(): w for w in ("yes", "no", "kill", "hi")}
    hashed = content_hash("kill")
    assert hashed.startswith("hmac-sha256:")
    assert hashed.split(":", 1)[1] not in dictionary


def test_the_deployment_key_makes_hashes_match_across_workers() -> None:
    set_content_hash_key(b"deployment-secret")
    expected = hmac.new(b"deployment-secret", b"hello", hashlib.sha256).hexdigest()
    assert content_hash("hello") == f"hmac-sha256:{expected}"
    assert content_hash(b"hello") == content_hash("hello")


def test_without_a_key_each_process_draws_its_own() -> None:
    set_content_hash_key(None)
    first = content_hash("hello")
    set_content_hash_key(None)  # what a second worker process does at start
    assert content_hash("hello") != first
