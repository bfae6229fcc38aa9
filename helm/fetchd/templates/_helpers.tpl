{{/* Names and labels. */}}

{{- define "fetchd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "fetchd.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "fetchd.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "fetchd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fetchd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "fetchd.labels" -}}
helm.sh/chart: {{ include "fetchd.chart" . }}
{{ include "fetchd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/component: server
app.kubernetes.io/part-of: fetchd
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "fetchd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "fetchd.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "fetchd.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}

{{/*
The shutdown grace fetchd is configured with, in whole seconds rounded up.
*/}}
{{- define "fetchd.shutdownGraceSeconds" -}}
{{- $ms := 30000 }}
{{- with .Values.config.shutdown }}{{- if not (kindIs "invalid" .graceMs) }}{{- $ms = .graceMs | int64 }}{{- end }}{{- end }}
{{- div (add $ms 999) 1000 }}
{{- end }}

{{/*
terminationGracePeriodSeconds: Kubernetes must wait longer than the preStop sleep plus fetchd's own
shutdown grace, or it kills the JVM while fetches are still draining.
*/}}
{{- define "fetchd.terminationGracePeriodSeconds" -}}
{{- $floor := add (.Values.preStopSleepSeconds | int64) (include "fetchd.shutdownGraceSeconds" . | int64) }}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add $floor 10 }}
{{- else if le (.Values.terminationGracePeriodSeconds | int64) $floor }}
{{- fail (printf "fetchd: terminationGracePeriodSeconds (%v) must be larger than preStopSleepSeconds + config.shutdown.graceMs/1000 (%v), or Kubernetes kills fetchd before its graceful shutdown ends. Raise it, or leave it empty to derive it." .Values.terminationGracePeriodSeconds $floor) }}
{{- else }}
{{- .Values.terminationGracePeriodSeconds | int64 }}
{{- end }}
{{- end }}

{{/*
config -> FETCHD_* lines for the ConfigMap. Walks the nested map; each level adds its key converted
the way fetchd converts keys (camelCase -> CAMEL_CASE, levels joined with "_"). Lists are joined with
commas, nulls are left out. Whole numbers are printed as integers: values read from a YAML file arrive
as float64, and 86400000 would otherwise render as 8.64e+07.
*/}}
{{- define "fetchd.configEnv" -}}
{{- $prefix := .prefix }}
{{- range $key, $value := .values }}
{{- $name := printf "%s_%s" $prefix ($key | snakecase | upper) }}
{{- if kindIs "map" $value }}
{{- include "fetchd.configEnv" (dict "prefix" $name "values" $value) }}
{{- else if kindIs "invalid" $value }}
{{- else if kindIs "slice" $value }}
{{- if $value }}
{{ $name }}: {{ join "," $value | quote }}
{{- end }}
{{- else if kindIs "float64" $value }}
{{- if ne (float64 ($value | int64)) $value }}
{{- fail (printf "fetchd: config value %s=%v must be a whole number" $name $value) }}
{{- end }}
{{ $name }}: {{ $value | int64 | toString | quote }}
{{- else }}
{{ $name }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Does the chart create its own Secret, and with which keys? */}}
{{- define "fetchd.secretData" -}}
{{- if not .Values.auth.existingSecret }}
{{- with .Values.auth.apiTokens }}
FETCHD_API_TOKENS: {{ join "," . | b64enc | quote }}
{{- end }}
{{- with .Values.auth.adminTokens }}
FETCHD_ADMIN_TOKENS: {{ join "," . | b64enc | quote }}
{{- end }}
{{- end }}
{{- if and (eq .Values.store "postgres") (not .Values.postgres.existingSecret) }}
FETCHD_PG_URL: {{ .Values.postgres.url | b64enc | quote }}
{{- end }}
{{- end }}

{{/*
Combinations the chart refuses, each with the reason. Included by the Deployment so that `helm
install`, `helm template` and `helm lint` all stop on them.
*/}}
{{- define "fetchd.validate" -}}
{{- $store := .Values.store }}
{{- if not (has $store (list "memory" "postgres")) }}
{{- fail (printf "fetchd: store must be memory or postgres, not %q" $store) }}
{{- end }}
{{- if eq $store "memory" }}
{{- if gt (.Values.replicaCount | int) 1 }}
{{- fail (printf "fetchd: store=memory keeps every job inside one fetchd process, so the chart runs exactly one replica (replicaCount is %v). Each extra pod would have its own private queue and answer 404 for the others' jobs. Set replicaCount=1, or store=postgres (with postgres.url and a ReadWriteMany volume) to run several replicas." .Values.replicaCount) }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- fail "fetchd: autoscaling.enabled needs store=postgres. With store=memory every job lives inside one fetchd process, so the chart runs exactly one replica and there is nothing to scale." }}
{{- end }}
{{- else }}
{{- if and (not .Values.postgres.url) (not .Values.postgres.existingSecret) }}
{{- fail "fetchd: store=postgres needs postgres.url (postgresql://user:password@host:5432/db) or postgres.existingSecret." }}
{{- end }}
{{- if not .Values.persistence.enabled }}
{{- fail "fetchd: store=postgres needs persistence.enabled=true with a ReadWriteMany volume: fetched bodies live in the data directory and any replica may be asked for any job's content." }}
{{- end }}
{{- if and (not .Values.persistence.existingClaim) (not (has "ReadWriteMany" .Values.persistence.accessModes)) }}
{{- fail "fetchd: store=postgres needs persistence.accessModes to include ReadWriteMany: replicas share one job list, so every replica must read and write the same data directory. Use a storage class that offers ReadWriteMany (NFS, CephFS, EFS, Azure Files ...)." }}
{{- end }}
{{- end }}
{{- include "fetchd.validateScrape" . }}
{{- if and .Values.podDisruptionBudget.enabled (kindIs "invalid" .Values.podDisruptionBudget.minAvailable) (kindIs "invalid" .Values.podDisruptionBudget.maxUnavailable) }}
{{- fail "fetchd: podDisruptionBudget needs maxUnavailable or minAvailable." }}
{{- end }}
{{- end }}

{{/* The container's env entries: secrets (tokens, PostgreSQL URL) and extraEnv. */}}
{{- define "fetchd.env" -}}
{{- $tokenSecret := .Values.auth.existingSecret | default (include "fetchd.fullname" .) }}
{{- $pgSecret := .Values.postgres.existingSecret | default (include "fetchd.fullname" .) }}
{{- if or .Values.auth.existingSecret .Values.auth.apiTokens }}
- name: FETCHD_API_TOKENS
  valueFrom:
    secretKeyRef:
      name: {{ $tokenSecret }}
      key: FETCHD_API_TOKENS
      optional: {{ not (empty .Values.auth.existingSecret) }}
{{- end }}
{{- if or .Values.auth.existingSecret .Values.auth.adminTokens }}
- name: FETCHD_ADMIN_TOKENS
  valueFrom:
    secretKeyRef:
      name: {{ $tokenSecret }}
      key: FETCHD_ADMIN_TOKENS
      optional: {{ not (empty .Values.auth.existingSecret) }}
{{- end }}
{{- if eq .Values.store "postgres" }}
- name: FETCHD_PG_URL
  valueFrom:
    secretKeyRef:
      name: {{ $pgSecret }}
      key: {{ if .Values.postgres.existingSecret }}{{ .Values.postgres.existingSecretKey }}{{ else }}FETCHD_PG_URL{{ end }}
{{- with .Values.postgres.passwordSecret }}
{{- if .name }}
- name: FETCHD_PG_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{- toYaml . | nindent 0 }}
{{- end }}
{{- end }}

{{/*
A ServiceMonitor on private metrics without credentials would only collect 401s: refused, with the way out.
Metrics are private with config.metricsPublic false, or auto while API tokens are configured.
*/}}
{{- define "fetchd.validateScrape" -}}
{{- if .Values.metrics.serviceMonitor.enabled }}
{{- $public := toString .Values.config.metricsPublic }}
{{- $tokens := or .Values.auth.apiTokens .Values.auth.adminTokens .Values.auth.existingSecret }}
{{- $private := or (eq $public "false") (and (or (eq $public "auto") (eq $public "<nil>")) $tokens) }}
{{- if and $private (not .Values.metrics.serviceMonitor.authorization.secretName) }}
{{- fail "fetchd: metrics.serviceMonitor is enabled but /metrics needs a token (config.metricsPublic is false, or auto with API tokens set), so Prometheus would only get 401. Set metrics.serviceMonitor.authorization.secretName (and secretKey) to a Secret holding one of fetchd's tokens, or config.metricsPublic=true." }}
{{- end }}
{{- end }}
{{- end }}
