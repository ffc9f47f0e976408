"""The retry policy: what is retried, retry-after first, always inside the budget."""

from __future__ import annotations

import pytest

from moderation.llm.retry import RetryPolicy, is_retryable_status, retry_after_s


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (400, False),
        (401, False),
        (404, False),
        (413, False),
        (408, True),
        (409, True),
        (429, True),
        (500, True),
        (529, True),
    ],
)
def test_retryable_statuses(status: int, retry: bool) -> None:
    assert is_retryable_status(status) is retry


def test_retry_after_headers() -> None:
    assert retry_after_s({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_s({"retry-after": "2"}) == 2.0
    assert retry_after_s({"retry-after": "-1"}) is None
    assert retry_after_s({"retry-after": "soon"}) is None
    assert retry_after_s({}) is None
    date = "Tue, 24 Nov 2026 00:00:10 GMT"
    assert retry_after_s({"retry-after": date}, now=1795478400.0) == pytest.approx(10.0)


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(max_retries=5, base_delay_s=0.5, max_delay_s=2.0)
    assert [policy.delay(n, None, 0.0) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 2.0]
    assert policy.delay(1, None, 0.999) == pytest.approx(0.375, rel=0.01)


def test_retry_after_wins_but_is_capped() -> None:
    policy = RetryPolicy(retry_after_max_s=5.0)
    assert policy.delay(1, 3.0, 0.5) == 3.0
    assert policy.next_delay(1, 6.0, 0.0, remaining_s=60) is None


def test_no_retry_beyond_the_count_or_the_budget() -> None:
    policy = RetryPolicy(max_retries=2, base_delay_s=1.0)
    assert policy.next_delay(1, None, 0.0, remaining_s=10) == 1.0
    assert policy.next_delay(3, None, 0.0, remaining_s=10) is None
    assert policy.next_delay(1, None, 0.0, remaining_s=1.05) is None
    assert policy.next_delay(1, 2.0, 0.0, remaining_s=2.0) is None
