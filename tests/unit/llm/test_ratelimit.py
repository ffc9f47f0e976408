"""Adaptive rate limiting from the anthropic-ratelimit-* headers, with bounded waits."""

from __future__ import annotations

import asyncio

import pytest

from moderation.llm.ratelimit import AdaptiveLimiter, Demand, RateLimitWait, estimate_input_tokens


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def headers(requests: tuple[int, int], tokens: tuple[int, int] | None = None) -> dict[str, str]:
    found = {
        "anthropic-ratelimit-requests-limit": str(requests[0]),
        "anthropic-ratelimit-requests-remaining": str(requests[1]),
        "anthropic-ratelimit-requests-reset": "2026-11-24T00:00:00Z",
    }
    if tokens:
        found["anthropic-ratelimit-input-tokens-limit"] = str(tokens[0])
        found["anthropic-ratelimit-input-tokens-remaining"] = str(tokens[1])
    return found


def test_nothing_is_throttled_before_the_api_names_a_limit() -> None:
    limiter = AdaptiveLimiter("m", FakeClock())
    for _ in range(1000):
        assert limiter.reserve(Demand(input_tokens=10_000), max_wait_s=0) == 0


def test_the_bucket_follows_the_headers_and_paces_callers() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter("m", clock)
    limiter.observe(headers((60, 2)))  # 60 per minute = one per second, 2 left now
    waits = [limiter.reserve(Demand(), max_wait_s=30) for _ in range(4)]
    assert waits == pytest.approx([0.0, 0.0, 1.0, 2.0])
    clock.now += 10  # refilled (capped at the capacity)
    bucket = limiter.bucket("requests")
    assert bucket is not None
    assert limiter.reserve(Demand(), max_wait_s=0) == 0
    assert bucket.level <= bucket.capacity


def test_remaining_never_raises_the_local_level() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter("m", clock)
    limiter.observe(headers((100, 1)))
    limiter.reserve(Demand(), max_wait_s=1)
    limiter.observe(headers((100, 90)))  # a stale, optimistic answer
    bucket = limiter.bucket("requests")
    assert bucket is not None
    assert bucket.level <= 0.01


def test_token_buckets_count_the_demand() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter("m", clock)
    limiter.observe(headers((1000, 1000), tokens=(6000, 1000)))  # 100 input tokens per second
    assert limiter.reserve(Demand(input_tokens=1000), max_wait_s=0) == 0
    assert limiter.reserve(Demand(input_tokens=500), max_wait_s=10) == pytest.approx(5.0)


def test_a_wait_beyond_the_bound_is_refused_without_debiting() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter("m", clock)
    limiter.observe(headers((60, 0)))
    with pytest.raises(RateLimitWait) as raised:
        limiter.reserve(Demand(), max_wait_s=0.5)
    assert raised.value.wait_s == pytest.approx(1.0)
    assert raised.value.model == "m"
    assert limiter.reserve(Demand(), max_wait_s=1.0) == pytest.approx(1.0)


def test_retry_after_pauses_every_caller() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter("m", clock)
    limiter.pause(3.0)
    assert limiter.paused_for == pytest.approx(3.0)
    assert limiter.reserve(Demand(), max_wait_s=5) == pytest.approx(3.0)
    clock.now += 3.0
    assert limiter.reserve(Demand(), max_wait_s=0) == 0


def test_unreadable_headers_are_ignored() -> None:
    limiter = AdaptiveLimiter("m", FakeClock())
    limiter.observe({"anthropic-ratelimit-requests-limit": "lots", "retry-after": "nan"})
    assert limiter.bucket("requests") is None


async def test_acquire_sleeps_for_the_reserved_wait() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter("m", clock)
    limiter.observe(headers((60, 0)))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    assert await limiter.acquire(Demand(), 5.0, sleep) == pytest.approx(1.0)
    assert slept == [pytest.approx(1.0)]


def test_estimate_is_rough_but_grows_with_the_text() -> None:
    assert estimate_input_tokens("a" * 400) == 101
    assert estimate_input_tokens("") == 1


async def test_before_the_first_answer_one_call_probes_and_the_rest_wait_for_it() -> None:
    limiter = AdaptiveLimiter("m")
    assert await limiter.acquire(Demand(), 5.0) == 0.0, "the probe goes at once"
    waiting = [asyncio.create_task(limiter.acquire(Demand(), 5.0)) for _ in range(3)]
    await asyncio.sleep(0.1)
    assert not any(task.done() for task in waiting), "no limit is known yet: they wait"
    limiter.attempt_ended()
    limiter.observe(headers((60, 2)))  # the probe's answer: two calls left this minute
    waited = await asyncio.gather(*waiting)
    assert waited[0] < 0.5
    assert waited[1] < 0.5
    assert waited[2] >= 0.5, "the third pays the bucket's refill, as after any answer"


async def test_a_probe_without_an_answer_hands_the_probe_on() -> None:
    limiter = AdaptiveLimiter("m")
    await limiter.acquire(Demand(), 5.0)
    second = asyncio.create_task(limiter.acquire(Demand(), 5.0))
    await asyncio.sleep(0.05)
    assert not second.done()
    limiter.attempt_ended()  # a dropped connection: no headers came back
    assert await asyncio.wait_for(second, 1.0) < 1.0, "the next call probes"


async def test_waiting_for_the_probe_is_bounded_then_the_call_goes_anyway() -> None:
    limiter = AdaptiveLimiter("m")
    await limiter.acquire(Demand(), 5.0)
    assert await limiter.acquire(Demand(), 0.1) == pytest.approx(0.1, abs=0.05)


async def test_a_slow_probe_holds_the_others_up_two_seconds_at_most() -> None:
    limiter = AdaptiveLimiter("m")
    await limiter.acquire(Demand(), 10.0)  # the probe, say an item that takes 8 s
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    assert await limiter.acquire(Demand(), 10.0, sleep) == pytest.approx(2.0)
    assert sum(slept) == pytest.approx(2.0)
