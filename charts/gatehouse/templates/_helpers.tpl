{{- define "gatehouse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gatehouse.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "gatehouse.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "gatehouse.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "gatehouse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gatehouse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gatehouse.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "gatehouse.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "gatehouse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gatehouse.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The port of a "host:port" listen address. */}}
{{- define "gatehouse.port" -}}
{{- splitList ":" . | last | int }}
{{- end }}

{{/* Fails the render when a secret is written into `config` instead of referenced as ${NAME}. */}}
{{- define "gatehouse.checkSecrets" -}}
{{- $c := .Values.config }}
{{- $refs := list }}
{{- if and $c.cookie $c.cookie.secret }}{{- $refs = append $refs (list "config.cookie.secret" $c.cookie.secret) }}{{- end }}
{{- range $i, $p := $c.providers }}
{{- if $p.clientSecret }}{{- $refs = append $refs (list (printf "config.providers[%d].clientSecret" $i) $p.clientSecret) }}{{- end }}
{{- end }}
{{- if and $c.session $c.session.redis $c.session.redis.password }}{{- $refs = append $refs (list "config.session.redis.password" $c.session.redis.password) }}{{- end }}
{{- range $refs }}
{{- if not (regexMatch "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$" (index . 1)) }}
{{- fail (printf "%s must be a ${NAME} reference filled from a Secret through secretEnv, not the secret itself" (index . 0)) }}
{{- end }}
{{- $name := regexReplaceAll "^\\$\\{(.*)\\}$" (index . 1) "${1}" }}
{{- $defined := hasKey $.Values.secretEnv $name }}
{{- range $.Values.extraEnv }}{{- if eq .name $name }}{{- $defined = true }}{{- end }}{{- end }}
{{- if not $defined }}
{{- fail (printf "%s references ${%s}, which neither secretEnv nor extraEnv defines" (index . 0) $name) }}
{{- end }}
{{- end }}
{{- end }}
