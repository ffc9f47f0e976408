"""Fixtures for the chart checks: the helm binary and cached renders of every scenario."""

from __future__ import annotations

import pytest

from tests.component.helm.helm_chart_harness import (
    REQUIRED_SETS,
    SCENARIOS,
    Helm,
    HelmMissingError,
    Rendered,
    find_helm,
)


@pytest.fixture(scope="session")
def helm() -> Helm:
    """The helm CLI; a missing binary fails every chart test with the fix in the message."""
    try:
        return Helm(find_helm())
    except HelmMissingError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def scenario_renders(helm: Helm) -> dict[str, Rendered]:
    """Each ci/*.yaml scenario rendered once per session."""
    return {name: helm.render([name]) for name in SCENARIOS}


@pytest.fixture(scope="session")
def defaults(helm: Helm) -> Rendered:
    """values.yaml as shipped plus only the two required values."""
    return helm.render(sets=REQUIRED_SETS)


@pytest.fixture(scope="session")
def production(scenario_renders: dict[str, Rendered]) -> Rendered:
    return scenario_renders["production-values.yaml"]
