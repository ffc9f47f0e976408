"""Deterministic shares: the same key always falls on the same side. Pure."""

from __future__ import annotations

import hashlib

_SCALE = float(2**64)


def position(key: str, salt: str) -> float:
    """Where ``key`` falls in [0, 100): the first 8 bytes of sha256(salt, key), scaled."""
    digest = hashlib.sha256(f"{salt}\x1f{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE * 100.0


def in_share(key: str, share_percent: float, salt: str) -> bool:
    """Is ``key`` among the ``share_percent`` percent of keys? 0 selects none, 100 all.

    Raising the share only adds keys: a key selected at 10% stays selected at 20%.
    """
    if share_percent <= 0:
        return False
    if share_percent >= 100:
        return True
    return position(key, salt) < share_percent
