"""Injected faults: the ``x-simulate`` request header, run-level fault rates, once-only state.

Precedence for one call: header, then content markers, then the run's random fault rates.
Draws come from a caller-supplied ``random.Random`` so a seeded run repeats itself.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from moderation_dev.simulator.config import SimConfig
from moderation_dev.simulator.errors import ConfigError
from moderation_dev.simulator.markers import Script
from moderation_dev.simulator.models import ModelClass

HEADER = "x-simulate"


@dataclass(frozen=True)
class HeaderFaults:
    """What an ``x-simulate`` header asks for (applies to every attempt that carries it)."""

    status: int | None = None
    latency_ms: float | None = None
    retry_after_s: float | None = None
    refuse: bool = False
    malformed: bool = False
    drop: bool = False


def _number(key: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{HEADER}: {key} needs a number, got '{value}'") from None
    if number < 0:
        raise ConfigError(f"{HEADER}: {key} must not be negative")
    return number


def parse_simulate_header(value: str | None) -> HeaderFaults:
    """Parse ``status=529, latency_ms=800, retry_after=2, refuse, malformed, drop``
    (items separated by commas or semicolons); raises ConfigError on anything else."""
    if not value:
        return HeaderFaults()
    fields: dict[str, object] = {}
    for raw in value.replace(";", ",").split(","):
        item = raw.strip().lower()
        if not item:
            continue
        key, sep, arg = (part.strip() for part in item.partition("="))
        if not sep and key in ("refuse", "malformed", "drop"):
            fields[key] = True
        elif sep and key == "status":
            code = int(_number(key, arg))
            if not 400 <= code <= 599:
                raise ConfigError(f"{HEADER}: status must be within 400-599")
            fields["status"] = code
        elif sep and key == "latency_ms":
            fields["latency_ms"] = _number(key, arg)
        elif sep and key == "retry_after":
            fields["retry_after_s"] = _number(key, arg)
        else:
            raise ConfigError(
                f"{HEADER}: unknown item '{item}'; use status=<code>, latency_ms=<ms>, "
                "retry_after=<s>, refuse, malformed or drop"
            )
    return HeaderFaults(**fields)  # type: ignore[arg-type]  # keys checked above


class OnceMemory:
    """Remembers which once-only directives already fired, per (content, class, kind)."""

    def __init__(self) -> None:
        self._fired: set[tuple[str, ModelClass, str]] = set()

    def first(self, digest: str, model_class: ModelClass, kind: str) -> bool:
        """True the first time this key is seen (and marks it), False afterwards."""
        key = (digest, model_class, kind)
        if key in self._fired:
            return False
        self._fired.add(key)
        return True

    def clear(self) -> None:
        self._fired.clear()


@dataclass(frozen=True)
class FaultPlan:
    """The faults chosen for one call; ``kind`` names what was injected (for stats)."""

    latency_ms: float
    status: int | None = None
    drop: bool = False
    kind: str | None = None


def plan_faults(
    config: SimConfig,
    model_class: ModelClass,
    script: Script,
    header: HeaderFaults,
    rng: random.Random,
    once: OnceMemory,
    digest: str,
) -> FaultPlan:
    """Decide latency and any injected status or dropped connection for one call."""
    latency = config.latency_for(model_class).sample_ms(rng)
    roll = rng.random()
    if header.latency_ms is not None:
        latency = header.latency_ms
    elif script.latency_ms is not None:
        latency = script.latency_ms
    if header.drop or script.drop:
        return FaultPlan(latency, drop=True, kind="drop")
    if header.status is not None:
        return FaultPlan(latency, status=header.status, kind=str(header.status))
    if script.status is not None:
        return FaultPlan(latency, status=script.status, kind=str(script.status))
    if script.status_once is not None and once.first(digest, model_class, "status"):
        return FaultPlan(latency, status=script.status_once, kind=str(script.status_once))
    threshold = 0.0
    for status, rate in sorted(config.error_rates.items()):
        threshold += rate
        if roll < threshold:
            return FaultPlan(latency, status=status, kind=str(status))
    threshold += config.drop_rate
    if roll < threshold:
        return FaultPlan(latency, drop=True, kind="drop")
    threshold += config.slow_rate
    if roll < threshold:
        return FaultPlan(config.slow_ms, kind="slow")
    return FaultPlan(latency)
