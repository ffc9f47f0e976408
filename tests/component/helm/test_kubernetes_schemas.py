"""Rendered manifests checked against Kubernetes' own OpenAPI schemas (kubernetes-validate,
bundled and offline, strict mode: unknown fields fail) and the CRDs against the fields we use."""

from __future__ import annotations

from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the pinned dev set
import kubernetes_validate
import pytest

from tests.component.helm.helm_chart_harness import SCENARIOS, Manifest, Rendered

# Oldest version the chart supports (Chart.yaml kubeVersion) and the newest bundled schemas.
KUBE_VERSIONS = ("1.25.0", f"{kubernetes_validate.latest_version()}.0")
BUILT_IN = {
    "ConfigMap",
    "Deployment",
    "HorizontalPodAutoscaler",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "Service",
    "ServiceAccount",
}

_NAME_REF = {
    "type": "object",
    "required": ["parameter", "name", "key"],
    "additionalProperties": False,
    "properties": {k: {"type": "string", "minLength": 1} for k in ("parameter", "name", "key")},
}
_STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
_METADATA = {
    "type": "object",
    "required": ["name", "namespace", "labels"],
    "properties": {"name": {"type": "string"}, "labels": _STRINGS},
}

# The subset of each CRD's fields the chart emits; additionalProperties catches typos.
CRD_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("keda.sh/v1alpha1", "ScaledObject"): {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "required": ["scaleTargetRef", "triggers"],
                "additionalProperties": False,
                "properties": {
                    "scaleTargetRef": {
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": False,
                        "properties": {
                            "apiVersion": {"const": "apps/v1"},
                            "kind": {"const": "Deployment"},
                            "name": {"type": "string"},
                        },
                    },
                    "pollingInterval": {"type": "integer", "minimum": 1},
                    "cooldownPeriod": {"type": "integer", "minimum": 0},
                    "minReplicaCount": {"type": "integer", "minimum": 0},
                    "maxReplicaCount": {"type": "integer", "minimum": 1},
                    "triggers": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["type", "metadata"],
                            "additionalProperties": False,
                            "properties": {
                                "type": {"const": "kafka"},
                                # KEDA's trigger metadata is map[string]string.
                                "metadata": {
                                    **_STRINGS,
                                    "required": [
                                        "bootstrapServers",
                                        "consumerGroup",
                                        "topic",
                                        "lagThreshold",
                                    ],
                                },
                                "authenticationRef": {
                                    "type": "object",
                                    "required": ["name"],
                                    "additionalProperties": False,
                                    "properties": {"name": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    ("keda.sh/v1alpha1", "TriggerAuthentication"): {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": {
                    "secretTargetRef": {"type": "array", "items": _NAME_REF},
                    "configMapTargetRef": {"type": "array", "items": _NAME_REF},
                },
            },
        },
    },
    ("monitoring.coreos.com/v1", "ServiceMonitor"): {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "required": ["selector", "endpoints"],
                "additionalProperties": False,
                "properties": {
                    "jobLabel": {"type": "string"},
                    "namespaceSelector": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "matchNames": {"type": "array", "items": {"type": "string"}}
                        },
                    },
                    "selector": {
                        "type": "object",
                        "required": ["matchLabels"],
                        "properties": {"matchLabels": _STRINGS},
                    },
                    "podTargetLabels": {"type": "array", "items": {"type": "string"}},
                    "endpoints": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["port", "path"],
                            "additionalProperties": False,
                            "properties": {
                                "port": {"type": "string"},
                                "path": {"type": "string"},
                                "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                                "scrapeTimeout": {
                                    "type": "string",
                                    "pattern": "^[0-9]+(ms|s|m|h)$",
                                },
                                "relabelings": {"type": "array"},
                                "metricRelabelings": {"type": "array"},
                            },
                        },
                    },
                },
            },
        },
    },
}


def _describe(obj: Manifest) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_built_in_kinds_match_kubernetes_schemas(
    scenario_renders: dict[str, Rendered], scenario: str, kube_version: str
) -> None:
    rendered = scenario_renders[scenario]
    checked = 0
    for obj in rendered.objects:
        if obj["kind"] not in BUILT_IN:
            continue
        try:
            kubernetes_validate.validate(obj, kube_version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(
                f"{scenario}: {_describe(obj)} invalid for {kube_version} at {path}: {exc.message}"
            )
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_kind_is_known_and_crds_match_their_fields(
    scenario_renders: dict[str, Rendered], scenario: str
) -> None:
    for obj in scenario_renders[scenario].objects:
        if obj["kind"] in BUILT_IN:
            continue
        schema = CRD_SCHEMAS.get((obj["apiVersion"], obj["kind"]))
        assert schema is not None, f"unexpected kind {obj['apiVersion']} {obj['kind']}"
        try:
            jsonschema.validate(obj, schema)
        except jsonschema.ValidationError as exc:
            pytest.fail(f"{scenario}: {_describe(obj)}: {exc.message} at {list(exc.absolute_path)}")


def test_strict_validation_catches_an_unknown_field(defaults: Rendered) -> None:
    deployment = defaults.deployments()["triage"]
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 3}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBE_VERSIONS[-1], strict=True)


def test_production_scenario_renders_the_optional_crds(production: Rendered) -> None:
    kinds = {o["kind"] for o in production.objects}
    assert {"ScaledObject", "TriggerAuthentication", "ServiceMonitor", "NetworkPolicy"} <= kinds
