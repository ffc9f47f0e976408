"""Run-level knobs of the simulator: latency, injected faults, rate limits, batches, seed."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from moderation_dev.simulator.errors import ConfigError
from moderation_dev.simulator.models import ModelClass

Distribution = Literal["fixed", "uniform", "lognormal"]


@dataclass(frozen=True)
class Latency:
    """How long one call takes, in milliseconds.

    ``fixed`` always answers ``median_ms``; ``uniform`` draws from [min_ms, max_ms];
    ``lognormal`` has median ``median_ms`` and shape ``sigma`` (0.5 gives a p95 of about
    2.3x the median), clamped to [min_ms, max_ms].
    """

    median_ms: float = 0.0
    distribution: Distribution = "fixed"
    sigma: float = 0.5
    min_ms: float = 0.0
    max_ms: float = 60_000.0

    def __post_init__(self) -> None:
        if self.median_ms < 0 or self.min_ms < 0 or self.max_ms < self.min_ms or self.sigma < 0:
            raise ConfigError(f"invalid latency {self!r}")

    def sample_ms(self, rng: random.Random) -> float:
        """One draw from the distribution using ``rng`` (deterministic under a seed)."""
        if self.distribution == "fixed":
            value = self.median_ms
        elif self.distribution == "uniform":
            value = rng.uniform(self.min_ms, self.max_ms)
        else:
            value = self.median_ms * math.exp(rng.gauss(0.0, self.sigma))
        return min(max(value, self.min_ms), self.max_ms)


def _default_latency() -> dict[ModelClass, Latency]:
    return {
        "haiku": Latency(30.0, "lognormal", 0.4, 5.0, 300.0),
        "sonnet": Latency(80.0, "lognormal", 0.4, 10.0, 600.0),
        "opus": Latency(120.0, "lognormal", 0.4, 15.0, 900.0),
    }


@dataclass(frozen=True)
class SimConfig:
    """Everything a run of the simulator can be told. Per-request overrides come from
    content markers and the ``x-simulate`` header."""

    latency: Mapping[ModelClass, Latency] = field(default_factory=_default_latency)
    # Extra milliseconds per generated output token (0 = independent of output length).
    ms_per_output_token: float = 0.0
    # Probability of injecting each HTTP status on a /v1/messages call, e.g. {529: 0.02}.
    error_rates: Mapping[int, float] = field(default_factory=dict)
    drop_rate: float = 0.0  # probability of closing the connection without an answer
    slow_rate: float = 0.0  # probability of answering after ``slow_ms`` instead
    slow_ms: float = 30_000.0
    retry_after_s: float = 1.0  # the ``retry-after`` sent with injected or real 429s
    # Token buckets per model class; None = unlimited (headers still report a large limit).
    rpm: int | None = None
    input_tpm: int | None = None
    output_tpm: int | None = None
    batch_delay_s: float = 1.0  # how long a batch stays in_progress
    seed: int = 0
    require_api_key: bool = True

    def __post_init__(self) -> None:
        rates = [*self.error_rates.values(), self.drop_rate, self.slow_rate]
        if any(rate < 0 or rate > 1 for rate in rates) or sum(rates) > 1:
            raise ConfigError("fault rates must be within [0, 1] and sum to at most 1")
        for status in self.error_rates:
            if status < 400 or status > 599:
                raise ConfigError(f"cannot inject HTTP status {status}: use 400-599")
        for name in ("rpm", "input_tpm", "output_tpm"):
            limit = getattr(self, name)
            if limit is not None and limit <= 0:
                raise ConfigError(f"{name} must be positive")
        if self.batch_delay_s < 0 or self.retry_after_s < 0 or self.slow_ms < 0:
            raise ConfigError("delays must not be negative")

    def latency_for(self, model_class: ModelClass) -> Latency:
        """The latency profile of a model class (zero when not configured)."""
        return self.latency.get(model_class, Latency())

    @classmethod
    def instant(cls, **overrides: object) -> SimConfig:
        """No latency and batches that end at once: for fast tests."""
        base = cls(latency={}, batch_delay_s=0.0)
        return replace(base, **overrides)  # type: ignore[arg-type]  # keyword overrides

    @classmethod
    def realistic(cls, **overrides: object) -> SimConfig:
        """Latency close to the real API (Haiku ~0.6 s, Sonnet ~1.5 s median) for load tests."""
        base = cls(
            latency={
                "haiku": Latency(600.0, "lognormal", 0.35, 150.0, 5_000.0),
                "sonnet": Latency(1_500.0, "lognormal", 0.35, 400.0, 12_000.0),
                "opus": Latency(2_500.0, "lognormal", 0.35, 600.0, 20_000.0),
            },
            batch_delay_s=5.0,
        )
        return replace(base, **overrides)  # type: ignore[arg-type]  # keyword overrides
