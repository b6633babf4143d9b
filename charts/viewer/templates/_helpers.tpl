{{/*
Naming and label helpers, shaped like the prometheus-community charts.
*/}}

{{/* Chart name, overridable with nameOverride. */}}
{{- define "viewer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified app name: <release>-<chart> unless the release name already
contains the chart name. Truncated to 63 characters because some Kubernetes
name fields are limited to that (DNS-1123 labels).
*/}}
{{- define "viewer.fullname" -}}
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
{{- define "viewer.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Namespace, overridable with namespaceOverride (for umbrella charts). */}}
{{- define "viewer.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: must stay stable across upgrades. */}}
{{- define "viewer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "viewer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Common labels. part-of=omniscope lets the default "omniscope" scrape job find
the suite's own pods and lets NetworkPolicies admit the suite's own traffic.
*/}}
{{- define "viewer.labels" -}}
helm.sh/chart: {{ include "viewer.chart" . }}
{{ include "viewer.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: viewer
app.kubernetes.io/part-of: omniscope
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* ServiceAccount name. */}}
{{- define "viewer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "viewer.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image reference; an empty tag means the chart's appVersion. */}}
{{- define "viewer.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/*
--collector and --alerter args. Empty `collectors` / `alerter` mean the
collector and alerter charts of the same release, named the way
charts/collector and charts/alerter name them (the collector's headless
Service, so every replica is read). alerter "-" passes no --alerter.
*/}}
{{- define "viewer.backendArgs" -}}
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
- --collector=dns+{{ $headless }}.{{ include "viewer.namespace" . }}.svc:9095
{{- end }}
{{- if ne .Values.alerter "-" }}
{{- if .Values.alerter }}
- --alerter={{ .Values.alerter }}
{{- else }}
{{- $alerter := printf "%s-alerter" .Release.Name -}}
{{- if contains "alerter" .Release.Name -}}
{{- $alerter = .Release.Name -}}
{{- end }}
- --alerter={{ $alerter | trunc 63 | trimSuffix "-" }}.{{ include "viewer.namespace" . }}.svc:9096
{{- end }}
{{- end }}
{{- end -}}

{{/*
extraArgs as container args: `key: value` -> --key=value; an empty or true
value -> --key.
*/}}
{{- define "viewer.extraArgs" -}}
{{- range $key, $value := .Values.extraArgs }}
{{- if or (eq (toString $value) "") (eq (toString $value) "true") }}
- --{{ $key }}
{{- else }}
- --{{ $key }}={{ $value }}
{{- end }}
{{- end }}
{{- end -}}
