"""helm lint and the render-time refusals of values that cannot work."""

from __future__ import annotations

import pytest

from tests.component.helm.helm_chart_harness import REQUIRED_SETS, SCENARIOS, Helm


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_helm_lint_strict_passes_for_every_scenario(helm: Helm, scenario: str) -> None:
    result = helm.run("lint", "--strict", ".", "--values", f"ci/{scenario}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_helm_lint_with_required_values_only(helm: Helm) -> None:
    args = ["lint", "--strict", "."]
    for item in REQUIRED_SETS:
        args += ["--set", item]
    result = helm.run(*args)
    assert result.returncode == 0, result.stdout + result.stderr


def test_scenarios_cover_production_and_minimal() -> None:
    assert {"minimal-values.yaml", "production-values.yaml"} <= set(SCENARIOS)


def test_defaults_alone_fail_with_a_clear_message(helm: Helm) -> None:
    error = helm.render_error()
    assert "kafka.bootstrapServers is required" in error


def test_missing_anthropic_secret_is_refused(helm: Helm) -> None:
    error = helm.render_error(sets=["kafka.bootstrapServers=k:9092"])
    assert "anthropic.existingSecret is required" in error


def test_api_key_as_a_value_is_refused_by_the_schema(helm: Helm) -> None:
    error = helm.render_error(["minimal-values.yaml"], ["anthropic.apiKey=sk-ant-not-a-key"])
    assert "apiKey" in error
    assert "sk-ant-not-a-key" not in error


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["kafka.securityProtocol=SASL_SSL"], "kafka.sasl.existingSecret is required"),
        (["kafka.tls.ca.secretName=ca"], "does not use TLS"),
        (
            [
                "kafka.securityProtocol=SSL",
                "kafka.tls.ca.secretName=a",
                "kafka.tls.ca.configMapName=b",
            ],
            "not both",
        ),
        (
            [
                "stages.review.autoscaling.keda.enabled=true",
                "stages.review.autoscaling.hpa.enabled=true",
            ],
            "enable keda or hpa, not both",
        ),
        (
            ["shutdownTimeoutSeconds=60", "terminationGracePeriodSeconds=60"],
            "terminationGracePeriodSeconds must be larger than shutdownTimeoutSeconds",
        ),
        (
            ["metrics.service.enabled=false", "metrics.serviceMonitor.enabled=true"],
            "needs metrics.service.enabled",
        ),
        (
            [
                "stages.triage.enabled=false",
                "stages.review.enabled=false",
                "stages.finalize.enabled=false",
                "stages.appeal.enabled=false",
            ],
            "no stage is enabled",
        ),
        (
            [
                "stages.triage.autoscaling.hpa.enabled=true",
                "stages.triage.autoscaling.hpa.targetCPUUtilizationPercentage=null",
            ],
            "needs a CPU or memory utilization target",
        ),
        (["settings.KAFKA_BOOTSTRAP_SERVERS=other:9092"], "managed by the chart"),
        (["securityContext.allowPrivilegeEscalation=true"], "allowPrivilegeEscalation"),
        (["kafka.securityProtocol=TLS"], "securityProtocol"),
        (["stages.triage.maxInFlight=0"], "maxInFlight"),
        (["stages.canary.enabled=true"], "canary"),
    ],
)
def test_unworkable_values_are_refused(helm: Helm, sets: list[str], message: str) -> None:
    error = helm.render_error(["minimal-values.yaml"], sets)
    assert message in error, error


def test_renders_for_the_oldest_supported_kubernetes(helm: Helm) -> None:
    rendered = helm.render(["production-values.yaml"], extra=["--kube-version", "1.25.0"])
    assert len(rendered.of_kind("Deployment")) == 4


def test_older_kubernetes_is_refused_by_chart_kube_version(helm: Helm) -> None:
    result = helm.run(
        *helm.template_args(["minimal-values.yaml"], extra=["--kube-version", "1.24.0"])
    )
    assert result.returncode != 0
    assert "kubeVersion" in result.stderr or ">=1.25.0-0" in result.stderr, result.stderr
