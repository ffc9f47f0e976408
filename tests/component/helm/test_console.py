"""The chart's review console: Deployment, Service, optional Ingress, the database Secret."""

from __future__ import annotations

import kubernetes_validate
import pytest

from tests.component.helm.helm_chart_harness import RELEASE, REQUIRED_SETS, Helm, Manifest, Rendered

CONSOLE = (*REQUIRED_SETS, "console.enabled=true", "console.database.existingSecret=console-db")
NAME = f"{RELEASE}-moderation-console"


@pytest.fixture(scope="module")
def console(helm: Helm) -> Rendered:
    return helm.render(
        sets=(
            *CONSOLE,
            "console.ingress.enabled=true",
            "console.ingress.host=review.example.com",
            "console.ingress.tlsSecretName=review-tls",
            "console.ingress.className=nginx",
        )
    )


def _container(rendered: Rendered) -> Manifest:
    deployment = rendered.one("Deployment", NAME)
    containers: list[Manifest] = deployment["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["console"]
    return containers[0]


def test_the_console_is_off_by_default(defaults: Rendered) -> None:
    names = [o["metadata"]["name"] for o in defaults.objects]
    assert NAME not in names


def test_the_database_url_comes_only_from_the_secret(console: Rendered) -> None:
    env = {e["name"]: e for e in _container(console)["env"]}
    assert env["DATABASE_URL"] == {
        "name": "DATABASE_URL",
        "valueFrom": {"secretKeyRef": {"name": "console-db", "key": "database-url"}},
    }
    assert _container(console)["args"] == ["console", "serve"]
    assert env["MODERATION_CONSOLE_SECURE_COOKIES"]["value"] == "true"
    assert env["MODERATION_TOPICS__HUMAN_REVIEW"]["value"] == "moderation.review.human.v1"
    assert env["MODERATION_TOPICS__HUMAN_DECISIONS"]["value"] == "moderation.human-decisions.v1"


def test_probes_and_secure_defaults(console: Rendered) -> None:
    container = _container(console)
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "http"}
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    pod = console.one("Deployment", NAME)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False


def test_service_and_ingress_route_to_the_console(console: Rendered) -> None:
    service = console.one("Service", NAME)
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "console"
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    ingress = console.one("Ingress", NAME)
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": ["review.example.com"], "secretName": "review-tls"}]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend == {"service": {"name": NAME, "port": {"name": "http"}}}


def test_console_objects_match_kubernetes_schemas(console: Rendered) -> None:
    checked = 0
    for obj in console.objects:
        if obj["metadata"]["name"] != NAME:
            continue
        kubernetes_validate.validate(obj, f"{kubernetes_validate.latest_version()}.0", strict=True)
        checked += 1
    assert checked == 3


def test_refusals_name_the_missing_value(helm: Helm) -> None:
    missing_db = helm.render_error(sets=(*REQUIRED_SETS, "console.enabled=true"))
    assert "console.database.existingSecret is required" in missing_db
    no_host = helm.render_error(sets=(*CONSOLE, "console.ingress.enabled=true"))
    assert "console.ingress.host is required" in no_host
    bad_mode = helm.render_error(sets=(*CONSOLE, "console.authMode=basic"))
    assert "authMode" in bad_mode
