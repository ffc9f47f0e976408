"""Token counts of one LLM call, normalised from the SDK's usage block."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, TypeAlias


class SupportsUsage(Protocol):
    """The attributes we read from ``anthropic.types.Usage``."""

    @property
    def input_tokens(self) -> int: ...

    @property
    def output_tokens(self) -> int: ...

    @property
    def cache_creation_input_tokens(self) -> int | None: ...

    @property
    def cache_read_input_tokens(self) -> int | None: ...


UsageLike: TypeAlias = "TokenUsage | SupportsUsage | Mapping[str, object]"


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Plain token counts; ``input_tokens`` excludes cache reads and writes (as the API reports)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0

    def __post_init__(self) -> None:
        for name in self.__slots__:
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    @property
    def cache_write_tokens(self) -> int:
        """Tokens written to the prompt cache (both TTLs)."""
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def prompt_tokens(self) -> int:
        """All prompt tokens: uncached input + cache writes + cache reads."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_write_5m_tokens=self.cache_write_5m_tokens + other.cache_write_5m_tokens,
            cache_write_1h_tokens=self.cache_write_1h_tokens + other.cache_write_1h_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
        )

    @classmethod
    def of(cls, usage: UsageLike) -> TokenUsage:
        """Normalise an SDK ``Usage`` object or a plain mapping of the same shape.

        When ``cache_creation`` (the per-TTL split) is missing, all cache writes count as 5-minute
        writes; a total larger than the split puts the remainder on the 5-minute tier too.
        """
        if isinstance(usage, TokenUsage):
            return usage
        total_write = _field(usage, "cache_creation_input_tokens")
        cache_read = _field(usage, "cache_read_input_tokens")
        split = _raw(usage, "cache_creation")
        write_5m = _field(split, "ephemeral_5m_input_tokens") if split is not None else 0
        write_1h = _field(split, "ephemeral_1h_input_tokens") if split is not None else 0
        write_5m += max(0, total_write - write_5m - write_1h)
        return cls(
            input_tokens=_field(usage, "input_tokens"),
            output_tokens=_field(usage, "output_tokens"),
            cache_write_5m_tokens=write_5m,
            cache_write_1h_tokens=write_1h,
            cache_read_tokens=cache_read,
        )


def _raw(source: object, name: str) -> object:
    if isinstance(source, Mapping):
        return source.get(name)
    return getattr(source, name, None)


def _field(source: object, name: str) -> int:
    value = _raw(source, name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"usage field {name} must be an int, got {type(value).__name__}")
    return value
