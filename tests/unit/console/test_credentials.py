"""Password and token hashing: only hashes are stored, checks are constant-time."""

from __future__ import annotations

from moderation.console.credentials import (
    TOKEN_PREFIX,
    digest,
    hash_password,
    new_token,
    same,
    verify_password,
)


def test_a_password_verifies_only_against_its_own_hash() -> None:
    stored = hash_password("hunter2 but longer")
    assert stored.startswith("scrypt$")
    assert "hunter2" not in stored
    assert verify_password("hunter2 but longer", stored)
    assert not verify_password("hunter3 but longer", stored)


def test_each_hash_has_its_own_salt() -> None:
    assert hash_password("same") != hash_password("same")


def test_malformed_or_missing_hashes_never_verify() -> None:
    for stored in (None, "", "plain", "bcrypt$1$2$3$4$5", "scrypt$x$8$1$AAAA$AAAA"):
        assert not verify_password("anything", stored)


def test_tokens_are_unique_prefixed_and_stored_as_sha256() -> None:
    first, second = new_token(), new_token()
    assert first != second
    assert first.startswith(TOKEN_PREFIX)
    assert len(first) > 40
    assert len(digest(first)) == 64
    assert digest(first) != first


def test_same_compares_strings() -> None:
    assert same("abc", "abc")
    assert not same("abc", "abd")
