{{/*
Names, labels and the small pieces every template shares.
*/}}

{{/* The stages in topology order; every per-stage template loops over this list. */}}
{{- define "moderation.stageNames" -}}
triage review finalize appeal
{{- end }}

{{/* Chart name, overridable with nameOverride. */}}
{{- define "moderation.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name: <release>-<chart>, or the release name alone when it already holds the
chart name. Kept at 50 characters so "-finalize" and similar suffixes still fit in 63.
*/}}
{{- define "moderation.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of one stage's resources. Call with (dict "root" $ "stage" "triage"). */}}
{{- define "moderation.stageFullname" -}}
{{- printf "%s-%s" (include "moderation.fullname" .root) .stage | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* chart-version label value. */}}
{{- define "moderation.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable for the life of a release, so never the chart version. */}}
{{- define "moderation.selectorLabels" -}}
app.kubernetes.io/name: {{ include "moderation.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Common labels for every resource. */}}
{{- define "moderation.labels" -}}
helm.sh/chart: {{ include "moderation.chart" . }}
{{ include "moderation.selectorLabels" . }}
app.kubernetes.io/version: {{ include "moderation.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "moderation.name" . }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one stage. Call with (dict "root" $ "stage" "triage"). */}}
{{- define "moderation.stageSelectorLabels" -}}
{{ include "moderation.selectorLabels" .root }}
app.kubernetes.io/component: {{ .stage }}
{{- end }}

{{/* Labels of one stage's resources. Call with (dict "root" $ "stage" "triage"). */}}
{{- define "moderation.stageLabels" -}}
{{ include "moderation.labels" .root }}
app.kubernetes.io/component: {{ .stage }}
{{- end }}

{{/* ServiceAccount name. */}}
{{- define "moderation.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "moderation.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image tag: the tag value or the chart's appVersion. */}}
{{- define "moderation.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion | toString }}
{{- end }}

{{/* Full image reference: [registry/]repository(@digest|:tag). */}}
{{- define "moderation.image" -}}
{{- $repo := .Values.image.repository }}
{{- with .Values.image.registry }}{{ $repo = printf "%s/%s" . $repo }}{{ end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repo .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (include "moderation.imageTag" .) }}
{{- end }}
{{- end }}

{{/* Settings ConfigMap (environment) and policy ConfigMap (mounted file) names. */}}
{{- define "moderation.settingsName" -}}
{{- printf "%s-settings" (include "moderation.fullname" .) }}
{{- end }}
{{- define "moderation.policyName" -}}
{{- printf "%s-policy" (include "moderation.fullname" .) }}
{{- end }}

{{/* Where the policy file is mounted. */}}
{{- define "moderation.policyPath" -}}
/etc/moderation/policy/policy.yaml
{{- end }}

{{/* Where the Kafka CA bundle is mounted. */}}
{{- define "moderation.kafkaCaPath" -}}
/etc/moderation/kafka-ca/ca.crt
{{- end }}

{{/* The topic a stage consumes. Call with (dict "root" $ "stage" "triage"). */}}
{{- define "moderation.inputTopic" -}}
{{- $topics := .root.Values.topics }}
{{- if eq .stage "triage" }}{{ $topics.requests }}
{{- else if eq .stage "review" }}{{ $topics.review }}
{{- else if eq .stage "finalize" }}{{ $topics.humanDecisions }}
{{- else if eq .stage "appeal" }}{{ $topics.decisions }}
{{- else }}{{ fail (printf "unknown stage %q" .stage) }}
{{- end }}
{{- end }}

{{/* Kafka consumer group of a stage: <appId>-<stage>. */}}
{{- define "moderation.consumerGroup" -}}
{{- printf "%s-%s" .root.Values.appId .stage }}
{{- end }}

{{/* OTEL_SERVICE_NAME of a stage. */}}
{{- define "moderation.otelServiceName" -}}
{{- printf "%s-%s" (.root.Values.otel.serviceNamePrefix | default .root.Values.appId) .stage }}
{{- end }}

{{/* Effective OTEL_TRACES_EXPORTER. */}}
{{- define "moderation.tracesExporter" -}}
{{- if .Values.otel.tracesExporter }}{{ .Values.otel.tracesExporter }}
{{- else if .Values.otel.endpoint }}otlp
{{- else }}none
{{- end }}
{{- end }}

{{/*
OTEL_RESOURCE_ATTRIBUTES of a stage. $(POD_NAME) and $(NODE_NAME) are expanded by the kubelet
from the env vars declared before this one.
*/}}
{{- define "moderation.otelResourceAttributes" -}}
{{- $root := .root }}
{{- $attrs := list
  (printf "service.namespace=%s" $root.Values.appId)
  (printf "service.version=%s" (include "moderation.imageTag" $root))
  (printf "k8s.namespace.name=%s" $root.Release.Namespace)
  (printf "k8s.deployment.name=%s" (include "moderation.stageFullname" .))
  "k8s.pod.name=$(POD_NAME)"
  "k8s.node.name=$(NODE_NAME)"
  (printf "moderation.stage=%s" .stage) }}
{{- with $root.Values.otel.environment }}
{{- $attrs = append $attrs (printf "deployment.environment.name=%s" .) }}
{{- end }}
{{- range $key, $value := $root.Values.otel.resourceAttributes }}
{{- $attrs = append $attrs (printf "%s=%v" $key $value) }}
{{- end }}
{{- join "," $attrs }}
{{- end }}

{{/* True when Kafka uses SASL. */}}
{{- define "moderation.kafkaSasl" -}}
{{- if hasPrefix "SASL_" .Values.kafka.securityProtocol }}true{{ end }}
{{- end }}

{{/* True when Kafka uses TLS. */}}
{{- define "moderation.kafkaTls" -}}
{{- if has .Values.kafka.securityProtocol (list "SSL" "SASL_SSL") }}true{{ end }}
{{- end }}

{{/* True when a Kafka CA bundle is mounted. */}}
{{- define "moderation.kafkaCa" -}}
{{- if or .Values.kafka.tls.ca.secretName .Values.kafka.tls.ca.configMapName }}true{{ end }}
{{- end }}

{{/* Pod termination grace period: explicit, or the drain timeout plus 15 s. */}}
{{- define "moderation.terminationGracePeriod" -}}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add (int .Values.shutdownTimeoutSeconds) 15 }}
{{- else }}
{{- int .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/* Autoscaling ceiling: the explicit maximum or the partition count. */}}
{{- define "moderation.maxReplicas" -}}
{{- if kindIs "invalid" .max }}{{ int .root.Values.topicPartitions }}{{ else }}{{ int .max }}{{ end }}
{{- end }}

{{/* Name of the KEDA TriggerAuthentication. */}}
{{- define "moderation.triggerAuthName" -}}
{{- printf "%s-kafka" (include "moderation.fullname" .) }}
{{- end }}

{{/* True when any enabled stage uses KEDA. */}}
{{- define "moderation.kedaUsed" -}}
{{- range $stage := splitList " " (include "moderation.stageNames" $) }}
{{- $cfg := index $.Values.stages $stage }}
{{- if and $cfg.enabled $cfg.autoscaling.keda.enabled }}true{{ end }}
{{- end }}
{{- end }}

{{/*
Checks that values.schema.json cannot express. Rendered (as nothing) by every template that
needs them, so `helm template` fails early with one clear message.
*/}}
{{- define "moderation.validate" -}}
{{- $_ := required "kafka.bootstrapServers is required: the Kafka bootstrap servers, e.g. kafka.kafka:9092" .Values.kafka.bootstrapServers }}
{{- $_ = required "anthropic.existingSecret is required: the name of an existing Secret holding the Anthropic API key (key: anthropic.secretKey). The chart never takes the key itself as a value." .Values.anthropic.existingSecret }}
{{- if and (include "moderation.kafkaSasl" .) (not .Values.kafka.sasl.existingSecret) }}
{{- fail (printf "kafka.sasl.existingSecret is required when kafka.securityProtocol is %s" .Values.kafka.securityProtocol) }}
{{- end }}
{{- if and .Values.kafka.tls.ca.secretName .Values.kafka.tls.ca.configMapName }}
{{- fail "kafka.tls.ca: set secretName or configMapName, not both" }}
{{- end }}
{{- if and (include "moderation.kafkaCa" .) (not (include "moderation.kafkaTls" .)) }}
{{- fail (printf "kafka.tls.ca is set but kafka.securityProtocol %s does not use TLS" .Values.kafka.securityProtocol) }}
{{- end }}
{{- if le (int (include "moderation.terminationGracePeriod" .)) (int .Values.shutdownTimeoutSeconds) }}
{{- fail "terminationGracePeriodSeconds must be larger than shutdownTimeoutSeconds, or the kubelet kills workers mid-drain" }}
{{- end }}
{{- if gt (int .Values.topicMinInsyncReplicas) (int .Values.topicReplication) }}
{{- fail (printf "topicMinInsyncReplicas (%d) must not exceed topicReplication (%d): acks=all writes would always fail" (int .Values.topicMinInsyncReplicas) (int .Values.topicReplication)) }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.service.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.service.enabled" }}
{{- end }}
{{- $enabled := 0 }}
{{- range $stage := splitList " " (include "moderation.stageNames" .) }}
{{- $cfg := index $.Values.stages $stage }}
{{- if $cfg.enabled }}{{ $enabled = add1 $enabled }}{{ end }}
{{- if and $cfg.autoscaling.keda.enabled $cfg.autoscaling.hpa.enabled }}
{{- fail (printf "stages.%s.autoscaling: enable keda or hpa, not both (KEDA manages its own HPA)" $stage) }}
{{- end }}
{{- $hpa := $cfg.autoscaling.hpa }}
{{- if and $hpa.enabled (not (or $hpa.targetCPUUtilizationPercentage $hpa.targetMemoryUtilizationPercentage)) }}
{{- fail (printf "stages.%s.autoscaling.hpa needs a CPU or memory utilization target" $stage) }}
{{- end }}
{{- end }}
{{- if eq $enabled 0 }}
{{- fail "no stage is enabled: set stages.<triage|review|finalize|appeal>.enabled" }}
{{- end }}
{{- end }}

{{/*
Per-stage container env: the stage itself, its OTEL identity, and every secret reference.
Shared settings come from the settings ConfigMap via envFrom.
Call with (dict "root" $ "stage" "triage").
*/}}
{{- define "moderation.stageEnv" -}}
{{- $v := .root.Values }}
{{- $cfg := index $v.stages .stage -}}
- name: MODERATION_STAGES
  value: {{ .stage | quote }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
- name: OTEL_SERVICE_NAME
  value: {{ include "moderation.otelServiceName" . | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ include "moderation.otelResourceAttributes" . | quote }}
- name: ANTHROPIC_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $v.anthropic.existingSecret }}
      key: {{ $v.anthropic.secretKey }}
{{- with $v.contentHashKey }}
{{- if .existingSecret }}
- name: MODERATION_CONTENT_HASH_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .secretKey }}
{{- end }}
{{- end }}
{{- if include "moderation.kafkaSasl" .root }}
- name: MODERATION_KAFKA__SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.sasl.existingSecret }}
      key: {{ $v.kafka.sasl.usernameKey }}
- name: MODERATION_KAFKA__SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.sasl.existingSecret }}
      key: {{ $v.kafka.sasl.passwordKey }}
{{- end }}
{{- with $v.otel.headersSecret }}
{{- if .name }}
- name: OTEL_EXPORTER_OTLP_HEADERS
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with $cfg.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* KEDA's name for the SASL mechanism. */}}
{{- define "moderation.kedaSaslMode" -}}
{{- $modes := dict "PLAIN" "plaintext" "SCRAM-SHA-256" "scram_sha256" "SCRAM-SHA-512" "scram_sha512" }}
{{- required (printf "kafka.sasl.mechanism %q has no KEDA equivalent" .Values.kafka.sasl.mechanism) (get $modes .Values.kafka.sasl.mechanism) }}
{{- end }}
