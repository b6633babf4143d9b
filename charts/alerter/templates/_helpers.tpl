{{/*
Naming and label helpers, shaped like the prometheus-community charts.
*/}}

{{/* Chart name, overridable with nameOverride. */}}
{{- define "alerter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified app name: <release>-<chart> unless the release name already
contains the chart name. Truncated to 63 characters because some Kubernetes
name fields are limited to that (DNS-1123 labels).
*/}}
{{- define "alerter.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Chart name and version, as used by the helm.sh/chart label. */}}
{{- define "alerter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Namespace, overridable with namespaceOverride (for umbrella charts). */}}
{{- define "alerter.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: must stay stable across upgrades. */}}
{{- define "alerter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "alerter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Common labels. part-of=omniscope lets the default "omniscope" scrape job find
the suite's own pods and lets NetworkPolicies admit the suite's own traffic.
*/}}
{{- define "alerter.labels" -}}
helm.sh/chart: {{ include "alerter.chart" . }}
{{ include "alerter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: alerter
app.kubernetes.io/part-of: omniscope
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* ServiceAccount name. */}}
{{- define "alerter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "alerter.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image reference; an empty tag means the chart's appVersion. */}}
{{- define "alerter.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/*
--collector args (gRPC addresses of the collectors). Empty `collectors`
means the collector chart of the same release: its headless Service, named
the way charts/collector names it, so every replica is read.
*/}}
{{- define "alerter.collectorArgs" -}}
{{- if .Values.collectors -}}
{{- range .Values.collectors }}
- --collector={{ . }}
{{- end }}
{{- else -}}
{{- $collector := printf "%s-collector" .Release.Name -}}
{{- if contains "collector" .Release.Name -}}
{{- $collector = .Release.Name -}}
{{- end -}}
{{- $headless := printf "%s-headless" ($collector | trunc 63 | trimSuffix "-") | trunc 63 | trimSuffix "-" }}
- --collector=dns+{{ $headless }}.{{ include "alerter.namespace" . }}.svc:9095
{{- end -}}
{{- end -}}

{{/*
Path prefix the daemon serves under: the path of --web.external-url, like
Prometheus' --web.route-prefix default. Probes must use it.
*/}}
{{- define "alerter.routePrefix" -}}
{{- if .Values.externalUrl -}}
{{- (urlParse .Values.externalUrl).path | trimSuffix "/" -}}
{{- end -}}
{{- end -}}

{{/*
extraArgs as container args: `key: value` -> --key=value; an empty or true
value -> --key.
*/}}
{{- define "alerter.extraArgs" -}}
{{- range $key, $value := .Values.extraArgs }}
{{- if or (eq (toString $value) "") (eq (toString $value) "true") }}
- --{{ $key }}
{{- else }}
- --{{ $key }}={{ $value }}
{{- end }}
{{- end }}
{{- end -}}
