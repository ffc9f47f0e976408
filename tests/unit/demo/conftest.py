"""Fixtures of the demo's unit tests."""

from __future__ import annotations

import pytest

from tests.support.demo import Events


@pytest.fixture
def events() -> Events:
    return Events()
