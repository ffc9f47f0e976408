"""Token estimate and prompt-cache accounting."""

from __future__ import annotations

from moderation_dev.simulator.caching import PromptCache
from moderation_dev.simulator.models import resolve_model
from moderation_dev.simulator.request import JsonDict, Message, MessagesRequest, Ttl
from moderation_dev.simulator.tokens import IMAGE_TOKENS, input_tokens, prompt_blocks, text_tokens


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _request(
    model: str, system_chars: int, ttl: Ttl | None = "5m", user: str = "hi"
) -> MessagesRequest:
    block: JsonDict = {"type": "text", "text": "p" * system_chars}
    if ttl:
        block["cache_control"] = {"type": "ephemeral", "ttl": ttl}
    user_turn = Message("user", ({"type": "text", "text": user},))
    return MessagesRequest(resolve_model(model), 100, (user_turn,), system=(block,))


def test_text_tokens_about_four_chars_each() -> None:
    assert text_tokens("a" * 400) == 100
    assert text_tokens("") == 0
    assert text_tokens("a" * 400, factor=1.3) == 130


def test_image_counts_and_totals_are_consistent() -> None:
    image: JsonDict = {"type": "image", "source": {"type": "url", "url": "http://x"}}
    req = MessagesRequest(resolve_model("claude-sonnet-4-6"), 10, (Message("user", (image,)),))
    assert input_tokens(req) >= IMAGE_TOKENS
    assert input_tokens(req) == 3 + sum(b.tokens for b in prompt_blocks(req))


def test_second_identical_call_reads_the_cache() -> None:
    cache = PromptCache(Clock())
    req = _request("claude-sonnet-4-6", 8_000)
    model = req.model
    first = cache.account(model.model_id, model.cache_min_tokens, prompt_blocks(req))
    second = cache.account(model.model_id, model.cache_min_tokens, prompt_blocks(req))
    assert first.cache_read_input_tokens == 0
    assert first.ephemeral_5m_input_tokens > 2_000
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == 0
    assert first.total_input_tokens == second.total_input_tokens == input_tokens(req)


def test_below_minimum_prefix_nothing_is_cached() -> None:
    cache = PromptCache(Clock())
    req = _request("claude-haiku-4-5", 8_000)  # ~2,000 tokens < 4,096 for Haiku 4.5
    for _ in range(2):
        usage = cache.account("claude-haiku-4-5", 4_096, prompt_blocks(req))
        assert usage.cache_read_input_tokens == usage.cache_creation_input_tokens == 0


def test_ttl_expiry_and_one_hour_bucket() -> None:
    clock = Clock()
    cache = PromptCache(clock)
    req = _request("claude-sonnet-4-6", 8_000, ttl="1h")
    first = cache.account("claude-sonnet-4-6", 1_024, prompt_blocks(req))
    assert first.ephemeral_1h_input_tokens > 0
    assert first.ephemeral_5m_input_tokens == 0
    clock.now += 3_599
    assert cache.account("claude-sonnet-4-6", 1_024, prompt_blocks(req)).cache_read_input_tokens
    clock.now += 3_601
    expired = cache.account("claude-sonnet-4-6", 1_024, prompt_blocks(req))
    assert expired.cache_read_input_tokens == 0
    assert expired.ephemeral_1h_input_tokens > 0


def test_cache_is_per_model_and_prefix() -> None:
    cache = PromptCache(Clock())
    req = _request("claude-sonnet-4-6", 8_000)
    cache.account("claude-sonnet-4-6", 1_024, prompt_blocks(req))
    other = _request("claude-sonnet-4-6", 8_001)
    assert (
        cache.account("claude-sonnet-4-6", 1_024, prompt_blocks(other)).cache_read_input_tokens == 0
    )
    assert (
        cache.account("claude-sonnet-4-5", 1_024, prompt_blocks(req)).cache_read_input_tokens == 0
    )
