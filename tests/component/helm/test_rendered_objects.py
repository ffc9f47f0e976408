"""Assertions on the objects the chart renders: labels, selectors, probes, security context,
secret references, the per-stage wiring and the config checksum."""

from __future__ import annotations

import pytest

from tests.component.helm.helm_chart_harness import (
    NAMESPACE,
    RELEASE,
    REQUIRED_SETS,
    SCENARIOS,
    STAGES,
    Helm,
    Manifest,
    Rendered,
    container,
    env_of,
    walk,
)

INPUT_TOPIC = {
    "triage": "moderation.requests.v1",
    "review": "moderation.review.sonnet.v1",
    "finalize": "moderation.human-decisions.v1",
    "appeal": "moderation.decisions.v1",
}
SELECTOR_KEYS = {"app.kubernetes.io/name", "app.kubernetes.io/instance"}


def _selectors(obj: Manifest) -> list[dict[str, str]]:
    spec = obj.get("spec", {})
    kind = obj["kind"]
    if kind in ("Deployment", "PodDisruptionBudget", "ServiceMonitor"):
        return [spec["selector"]["matchLabels"]]
    if kind == "Service":
        return [spec["selector"]]
    if kind == "NetworkPolicy":
        return [spec["podSelector"]["matchLabels"]]
    return []


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_object_carries_the_recommended_labels(
    scenario_renders: dict[str, Rendered], scenario: str
) -> None:
    for obj in scenario_renders[scenario].objects:
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "moderation"
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/version"] == "0.1.0"
        assert labels["helm.sh/chart"] == "moderation-0.1.0"
        assert obj["metadata"]["namespace"] == NAMESPACE


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_selectors_are_stable_labels_only(
    scenario_renders: dict[str, Rendered], scenario: str
) -> None:
    rendered = scenario_renders[scenario]
    selectors = [s for obj in rendered.objects for s in _selectors(obj)]
    assert selectors
    for selector in selectors:
        assert "helm.sh/chart" not in selector
        assert "app.kubernetes.io/version" not in selector
        assert set(selector) >= SELECTOR_KEYS
        assert set(selector) <= SELECTOR_KEYS | {"app.kubernetes.io/component"}
    for stage, deployment in rendered.deployments().items():
        selector = deployment["spec"]["selector"]["matchLabels"]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector["app.kubernetes.io/component"] == stage
        assert selector.items() <= pod_labels.items()


def test_one_deployment_per_stage_with_its_own_command_and_replicas(defaults: Rendered) -> None:
    deployments = defaults.deployments()
    assert set(deployments) == set(STAGES)
    expected_replicas = {"triage": 2, "review": 1, "finalize": 1, "appeal": 1}
    for stage, deployment in deployments.items():
        assert deployment["metadata"]["name"] == f"{RELEASE}-moderation-{stage}"
        assert deployment["spec"]["replicas"] == expected_replicas[stage]
        assert container(deployment)["args"] == ["worker", "--stages", stage]
        env = env_of(deployment)
        assert env["MODERATION_STAGES"]["value"] == stage
        assert env["OTEL_SERVICE_NAME"]["value"] == f"moderation-{stage}"
        attributes = env["OTEL_RESOURCE_ATTRIBUTES"]["value"]
        assert f"moderation.stage={stage}" in attributes
        assert "k8s.pod.name=$(POD_NAME)" in attributes
        names = list(env)
        assert names.index("POD_NAME") < names.index("OTEL_RESOURCE_ATTRIBUTES")


def test_probes_hit_the_worker_health_endpoints(defaults: Rendered) -> None:
    for deployment in defaults.of_kind("Deployment"):
        worker = container(deployment)
        assert worker["ports"] == [{"name": "http", "containerPort": 6066, "protocol": "TCP"}]
        assert worker["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "http"}
        assert worker["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert worker["startupProbe"]["httpGet"]["path"] == "/livez"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_secure_defaults(scenario_renders: dict[str, Rendered], scenario: str) -> None:
    for deployment in scenario_renders[scenario].of_kind("Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        ctx = container(deployment)["securityContext"]
        assert ctx["runAsNonRoot"] is True
        assert ctx["runAsUser"] != 0
        assert ctx["readOnlyRootFilesystem"] is True
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx["privileged"] is False
        assert ctx["capabilities"] == {"drop": ["ALL"]}
        assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
        # Read-only root: the only writable paths are emptyDirs.
        mounts = {m["mountPath"]: m["name"] for m in container(deployment)["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]  # noqa: S108 - a mount path, not a file
        assert "emptyDir" in volumes[mounts["/var/lib/moderation"]]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_secrets_are_only_referenced(scenario_renders: dict[str, Rendered], scenario: str) -> None:
    rendered = scenario_renders[scenario]
    assert rendered.of_kind("Secret") == []
    for deployment in rendered.of_kind("Deployment"):
        env = env_of(deployment)
        key_ref = env["ANTHROPIC_API_KEY"]["valueFrom"]["secretKeyRef"]
        assert key_ref == {"name": "moderation-anthropic", "key": "api-key"}
        assert "value" not in env["ANTHROPIC_API_KEY"]
        if "MODERATION_KAFKA__SASL_PASSWORD" in env:
            assert "secretKeyRef" in env["MODERATION_KAFKA__SASL_PASSWORD"]["valueFrom"]
        if "MODERATION_CONTENT_HASH_KEY" in env:
            assert "value" not in env["MODERATION_CONTENT_HASH_KEY"]
    for config_map in rendered.of_kind("ConfigMap"):
        for key in config_map["data"]:
            assert not any(word in key for word in ("API_KEY", "PASSWORD", "SECRET", "TOKEN"))


def test_settings_configmap_holds_the_service_contract(defaults: Rendered) -> None:
    settings = defaults.settings()
    assert settings["KAFKA_BOOTSTRAP_SERVERS"] == "kafka.kafka.svc:9092"
    assert settings["MODERATION_TRIAGE__MODEL"] == "claude-haiku-4-5"
    assert settings["MODERATION_REVIEW__MODEL"] == "claude-sonnet-4-6"
    assert settings["MODERATION_TRIAGE__MAX_IN_FLIGHT"] == "64"
    assert settings["MODERATION_REVIEW__MAX_IN_FLIGHT"] == "16"
    assert settings["MODERATION_FINALIZE__MAX_IN_FLIGHT"] == "32"
    assert settings["MODERATION_TOPIC_PARTITIONS"] == "12"
    assert settings["MODERATION_TOPIC_REPLICATION"] == "3"
    assert settings["MODERATION_TOPIC_MIN_INSYNC_REPLICAS"] == "2"
    assert settings["MODERATION_TOPICS__REQUESTS"] == INPUT_TOPIC["triage"]
    assert settings["MODERATION_TOPICS__HUMAN_DECISIONS"] == INPUT_TOPIC["finalize"]
    assert settings["MODERATION_TOPICS__DEADLETTER"] == "moderation.deadletter.v1"
    assert settings["MODERATION_WEB_PORT"] == "6066"
    assert settings["MODERATION_DATA_DIR"] == "/var/lib/moderation"
    assert settings["MODERATION_SHUTDOWN_TIMEOUT_S"] == "30"
    assert settings["OTEL_TRACES_EXPORTER"] == "none"
    assert "MODERATION_POLICY_FILE" not in settings
    for deployment in defaults.of_kind("Deployment"):
        env_from = container(deployment)["envFrom"]
        assert env_from == [{"configMapRef": {"name": f"{RELEASE}-moderation-settings"}}]
        grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace > int(settings["MODERATION_SHUTDOWN_TIMEOUT_S"])


def test_production_wires_policy_kafka_security_and_tracing(production: Rendered) -> None:
    settings = production.settings()
    assert settings["MODERATION_KAFKA__SECURITY_PROTOCOL"] == "SASL_SSL"
    assert settings["MODERATION_KAFKA__SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert settings["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://otel-collector")
    assert settings["OTEL_TRACES_EXPORTER"] == "otlp"
    for deployment in production.of_kind("Deployment"):  # content hashes match across workers
        hash_key = env_of(deployment)["MODERATION_CONTENT_HASH_KEY"]["valueFrom"]["secretKeyRef"]
        assert hash_key == {"name": "moderation-content-hash", "key": "content-hash-key"}
    # Topics survive a broker loss: 3 replicas, acks=all needs 2 of them.
    assert settings["MODERATION_TOPIC_REPLICATION"] == "3"
    assert settings["MODERATION_TOPIC_MIN_INSYNC_REPLICAS"] == "2"
    policy_path = settings["MODERATION_POLICY_FILE"]
    ca_path = settings["MODERATION_KAFKA__SSL_CAFILE"]
    policy = production.one("ConfigMap", f"{RELEASE}-moderation-policy")
    assert "fail_mode: closed" in policy["data"]["policy.yaml"]
    for deployment in production.of_kind("Deployment"):
        env = env_of(deployment)
        user_ref = env["MODERATION_KAFKA__SASL_USERNAME"]["valueFrom"]["secretKeyRef"]
        assert user_ref["name"] == "moderation-kafka-credentials"
        mounts = {m["name"]: m for m in container(deployment)["volumeMounts"]}
        assert policy_path.startswith(mounts["policy"]["mountPath"] + "/")
        assert ca_path.startswith(mounts["kafka-ca"]["mountPath"] + "/")
        assert all(mounts[n]["readOnly"] for n in ("policy", "kafka-ca"))
        grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace > 40


def test_config_checksum_follows_the_settings_only(helm: Helm, defaults: Rendered) -> None:
    def checksums(rendered: Rendered) -> set[str]:
        return {
            d["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
            for d in rendered.of_kind("Deployment")
        }

    base = checksums(defaults)
    assert len(base) == 1
    assert len(next(iter(base))) == 64
    changed = checksums(helm.render(sets=[*REQUIRED_SETS, "logLevel=debug"]))
    assert changed != base
    with_policy = checksums(helm.render(sets=[*REQUIRED_SETS, "policy.version=2"]))
    assert with_policy not in (base, changed)
    unrelated = checksums(helm.render(sets=[*REQUIRED_SETS, "stages.triage.replicaCount=5"]))
    assert unrelated == base


def test_keda_scales_each_stage_on_its_own_consumer_group(production: Rendered) -> None:
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in production.of_kind("ScaledObject")}
    assert set(scaled) == {f"{RELEASE}-moderation-triage", f"{RELEASE}-moderation-review"}
    for stage in ("triage", "review"):
        spec = scaled[f"{RELEASE}-moderation-{stage}"]["spec"]
        trigger = spec["triggers"][0]
        assert trigger["type"] == "kafka"
        assert trigger["metadata"]["consumerGroup"] == f"moderation-{stage}"
        assert trigger["metadata"]["topic"] == INPUT_TOPIC[stage]
        assert trigger["metadata"]["allowIdleConsumers"] == "false"
        assert trigger["metadata"]["sasl"] == "scram_sha512"
        assert trigger["metadata"]["tls"] == "enable"
        assert trigger["authenticationRef"]["name"] == f"{RELEASE}-moderation-kafka"
    assert scaled[f"{RELEASE}-moderation-triage"]["spec"]["maxReplicaCount"] == 48
    assert scaled[f"{RELEASE}-moderation-review"]["spec"]["maxReplicaCount"] == 16
    deployments = production.deployments()
    assert "replicas" not in deployments["triage"]["spec"]
    assert deployments["finalize"]["spec"]["replicas"] == 2
    auth = production.one("TriggerAuthentication")
    params = {ref["parameter"]: ref["name"] for ref in auth["spec"]["secretTargetRef"]}
    assert params == {
        "username": "moderation-kafka-credentials",
        "password": "moderation-kafka-credentials",
        "ca": "moderation-kafka-ca",
    }


def test_keda_and_hpa_default_their_ceiling_to_the_partition_count(helm: Helm) -> None:
    rendered = helm.render(
        sets=[
            *REQUIRED_SETS,
            "topicPartitions=6",
            "stages.finalize.autoscaling.keda.enabled=true",
            "stages.triage.autoscaling.hpa.enabled=true",
        ]
    )
    assert rendered.one("ScaledObject")["spec"]["maxReplicaCount"] == 6
    assert rendered.one("HorizontalPodAutoscaler")["spec"]["maxReplicas"] == 6
    assert rendered.of_kind("TriggerAuthentication") == []
    trigger = rendered.one("ScaledObject")["spec"]["triggers"][0]
    assert "authenticationRef" not in trigger
    assert trigger["metadata"]["topic"] == INPUT_TOPIC["finalize"]


def test_hpa_scenario(scenario_renders: dict[str, Rendered]) -> None:
    rendered = scenario_renders["hpa-values.yaml"]
    assert set(rendered.deployments()) == {"triage", "finalize", "appeal"}
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]: h["spec"]
        for h in rendered.of_kind("HorizontalPodAutoscaler")
    }
    assert hpas[f"{RELEASE}-moderation-finalize"]["maxReplicas"] == 4
    assert hpas[f"{RELEASE}-moderation-triage"]["maxReplicas"] == 12
    metrics = {m["resource"]["name"] for m in hpas[f"{RELEASE}-moderation-triage"]["metrics"]}
    assert metrics == {"cpu", "memory"}
    assert rendered.of_kind("ServiceAccount") == []
    for deployment in rendered.of_kind("Deployment"):
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "moderation-runtime"
        ca_volume = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        assert ca_volume["kafka-ca"]["configMap"]["name"] == "kafka-ca-bundle"
    settings = rendered.settings()
    assert settings["ANTHROPIC_BASE_URL"] == "http://anthropic-sim.moderation.svc:8080"
    assert settings["MODERATION_VERDICT_CACHE__ENABLED"] == "true"


def test_autoscaling_and_optional_objects_are_off_by_default(defaults: Rendered) -> None:
    kinds = {o["kind"] for o in defaults.objects}
    assert kinds == {"ConfigMap", "Deployment", "PodDisruptionBudget", "Service", "ServiceAccount"}
    pdbs = {
        p["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]: p
        for p in defaults.of_kind("PodDisruptionBudget")
    }
    assert set(pdbs) == set(STAGES)
    assert all(p["spec"]["maxUnavailable"] == 1 for p in pdbs.values())


def test_metrics_service_and_servicemonitor_line_up(production: Rendered) -> None:
    service = production.one("Service")
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    monitor = production.one("ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    endpoint = monitor["spec"]["endpoints"][0]
    assert endpoint["port"] == service["spec"]["ports"][0]["name"]
    assert endpoint["path"] == "/metrics"
    for deployment in production.of_kind("Deployment"):
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod_labels.items()


def test_network_policy_opens_only_the_web_port(production: Rendered) -> None:
    policy = production.one("NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert [p["port"] for rule in policy["ingress"] for p in rule["ports"]] == ["http"]
    egress_ports = {p["port"] for rule in policy["egress"] for p in rule.get("ports", [])}
    assert egress_ports == {53, 9096, 443, 4318}


def test_no_content_or_secret_values_leak_into_rendered_objects(production: Rendered) -> None:
    for obj in production.objects:
        for key, value in walk(obj):
            if key in ("value", "data") and isinstance(value, str):
                assert "sk-ant" not in value


def test_min_insync_replicas_above_the_replication_is_refused(helm: Helm) -> None:
    sets = [*REQUIRED_SETS, "topicReplication=1", "topicMinInsyncReplicas=2"]
    assert "must not exceed topicReplication" in helm.render_error(sets=sets)


def test_every_scenario_sets_only_variables_the_worker_reads(
    scenario_renders: dict[str, Rendered],
) -> None:
    from moderation.settings import unknown_variables

    for name, rendered in scenario_renders.items():
        names = set(rendered.settings())
        for deployment in rendered.deployments().values():
            names |= set(env_of(deployment))
        assert unknown_variables(dict.fromkeys(names, "")) == [], name
