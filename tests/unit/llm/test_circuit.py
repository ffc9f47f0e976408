"""The per-model circuit breaker: open after N failures, one probe after the cool-down."""

from __future__ import annotations

import pytest

from moderation.llm.circuit import CircuitBreaker, CircuitConfig, CircuitState


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def state(circuit: CircuitBreaker) -> CircuitState:
    """Read afresh (a helper, so the type checker does not narrow the property)."""
    return circuit.state


def breaker(threshold: int = 3, cool_down: float = 10.0) -> tuple[CircuitBreaker, FakeClock]:
    clock = FakeClock()
    return CircuitBreaker("m", CircuitConfig(threshold, cool_down), clock), clock


def test_opens_only_after_consecutive_failures() -> None:
    circuit, _ = breaker(threshold=3)
    for _ in range(2):
        assert circuit.allow()
        circuit.record_failure()
    assert circuit.allow()
    circuit.record_success()  # a success in between resets the count
    for _ in range(2):
        circuit.record_failure()
    assert state(circuit) is CircuitState.CLOSED
    circuit.record_failure()
    assert state(circuit) is CircuitState.OPEN
    assert not circuit.allow()
    assert circuit.retry_in() == pytest.approx(10.0)


def test_half_open_lets_exactly_one_probe_through() -> None:
    circuit, clock = breaker(threshold=1, cool_down=10.0)
    circuit.record_failure()
    clock.now += 9.9
    assert not circuit.allow()
    clock.now += 0.2
    assert state(circuit) is CircuitState.HALF_OPEN
    assert circuit.allow()
    assert not circuit.allow(), "a second caller must not join the probe"
    circuit.record_success()
    assert state(circuit) is CircuitState.CLOSED
    assert circuit.allow()
    assert circuit.allow()


def test_failed_probe_reopens_for_a_full_cool_down() -> None:
    circuit, clock = breaker(threshold=2, cool_down=5.0)
    circuit.record_failure()
    circuit.record_failure()
    clock.now += 5.0
    assert circuit.allow()
    circuit.record_failure()
    assert state(circuit) is CircuitState.OPEN
    clock.now += 4.0
    assert not circuit.allow()
    clock.now += 1.0
    assert circuit.allow()


def test_abandoned_probe_frees_the_slot() -> None:
    circuit, clock = breaker(threshold=1, cool_down=1.0)
    circuit.record_failure()
    clock.now += 1.0
    assert circuit.allow()
    circuit.abandon()
    assert circuit.allow(), "a cancelled probe must not keep the circuit half-open forever"


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitConfig(failure_threshold=0)
