{{/*
Expand the name of the chart.
*/}}
{{- define "labelguard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name, truncated to 63 characters (the
DNS label limit). If the release name contains the chart name it is used as is.
*/}}
{{- define "labelguard.fullname" -}}
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

{{/*
Chart name and version, as used by the helm.sh/chart label.
*/}}
{{- define "labelguard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels (Kubernetes recommended labels).
*/}}
{{- define "labelguard.labels" -}}
helm.sh/chart: {{ include "labelguard.chart" . }}
{{ include "labelguard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: labelguard
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Selector labels of the service pods. The component label keeps the helm test
pod out of the Service's endpoints.
*/}}
{{- define "labelguard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "labelguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{/*
Labels of the helm test pod (allowed in by the NetworkPolicy).
*/}}
{{- define "labelguard.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "labelguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
{{- end }}

{{/*
Name of the service account to use.
*/}}
{{- define "labelguard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "labelguard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
An image reference: repository:tag, with @digest appended when a digest is
set. The runtime pulls by the digest; the tag stays for the reader.
Call with (dict "image" .Values.image "tag" <default tag>).
*/}}
{{- define "labelguard.imageRef" -}}
{{- $ref := printf "%s:%s" .image.repository (default .tag .image.tag) }}
{{- if .image.digest }}
{{- $ref = printf "%s@%s" $ref .image.digest }}
{{- end }}
{{- $ref }}
{{- end }}

{{/*
Container image of the service (tag defaults to appVersion).
*/}}
{{- define "labelguard.image" -}}
{{- include "labelguard.imageRef" (dict "image" .Values.image "tag" .Chart.AppVersion) }}
{{- end }}

{{/*
PostgreSQL is used when a DSN or an existing DSN Secret is configured;
otherwise the embedded SQLite database on /data. Returns "true" or "".
*/}}
{{- define "labelguard.usePostgres" -}}
{{- if or .Values.database.dsn .Values.database.existingSecret }}true{{ end }}
{{- end }}

{{/*
Whether the chart's own Secret (DSN, bundle key) is rendered.
*/}}
{{- define "labelguard.createSecret" -}}
{{- if or (and .Values.database.dsn (not .Values.database.existingSecret)) (and .Values.policies.bundlePublicKey.content (not .Values.policies.bundlePublicKey.existingSecret)) }}true{{ end }}
{{- end }}

{{/*
Secret name and key of the database DSN.
*/}}
{{- define "labelguard.databaseSecretName" -}}
{{- default (include "labelguard.fullname" .) .Values.database.existingSecret }}
{{- end }}
{{- define "labelguard.databaseSecretKey" -}}
{{- if .Values.database.existingSecret }}{{ .Values.database.key }}{{ else }}dsn{{ end }}
{{- end }}

{{/*
Whether trusted issuers are configured, and their Secret name and key.
*/}}
{{- define "labelguard.hasTrustedIssuers" -}}
{{- if or .Values.auth.trustedIssuers.content .Values.auth.trustedIssuers.existingSecret }}true{{ end }}
{{- end }}
{{- define "labelguard.trustedIssuersSecretName" -}}
{{- if .Values.auth.trustedIssuers.existingSecret }}
{{- .Values.auth.trustedIssuers.existingSecret }}
{{- else }}
{{- printf "%s-trusted-issuers" (include "labelguard.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- define "labelguard.trustedIssuersSecretKey" -}}
{{- if .Values.auth.trustedIssuers.existingSecret }}{{ .Values.auth.trustedIssuers.key }}{{ else }}issuers.json{{ end }}
{{- end }}

{{/*
Whether a bundle public key is configured, and its Secret name and key.
*/}}
{{- define "labelguard.hasBundleKey" -}}
{{- if or .Values.policies.bundlePublicKey.content .Values.policies.bundlePublicKey.existingSecret }}true{{ end }}
{{- end }}
{{- define "labelguard.bundleKeySecretName" -}}
{{- default (include "labelguard.fullname" .) .Values.policies.bundlePublicKey.existingSecret }}
{{- end }}
{{- define "labelguard.bundleKeySecretKey" -}}
{{- if .Values.policies.bundlePublicKey.existingSecret }}{{ .Values.policies.bundlePublicKey.key }}{{ else }}bundle-public-key.pem{{ end }}
{{- end }}

{{/*
Whether a patient id hash key is configured (hashKey.value or
hashKey.existingSecret). Without one, with SQLite, the binary keeps its own
key in the data directory; PostgreSQL requires one (labelguard.validate).
*/}}
{{- define "labelguard.hasHashKey" -}}
{{- if or .Values.hashKey.value .Values.hashKey.existingSecret }}true{{ end }}
{{- end }}

{{/*
Secret name and key of the patient id hash key. With hashKey.value the chart
owns "<fullname>-hash-key" (the name chart 0.1 generated its key under).
*/}}
{{- define "labelguard.hashKeySecretName" -}}
{{- if .Values.hashKey.existingSecret }}
{{- .Values.hashKey.existingSecret }}
{{- else }}
{{- printf "%s-hash-key" (include "labelguard.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- define "labelguard.hashKeySecretKey" -}}
{{- if .Values.hashKey.existingSecret }}{{ .Values.hashKey.key }}{{ else }}hash-key{{ end }}
{{- end }}

{{/*
Whether the chart's ConfigMap (config file, site parameters) is rendered.
*/}}
{{- define "labelguard.createConfigMap" -}}
{{- if or .Values.config.file .Values.siteParams }}true{{ end }}
{{- end }}

{{/*
Number of pods the workload keeps at least: HPA minReplicas or replicaCount.
*/}}
{{- define "labelguard.minReplicas" -}}
{{- if .Values.autoscaling.enabled }}{{ .Values.autoscaling.minReplicas | int }}{{ else }}{{ .Values.replicaCount | int }}{{ end }}
{{- end }}

{{/*
URL scheme the container serves.
*/}}
{{- define "labelguard.scheme" -}}
{{- if .Values.tls.enabled }}https{{ else }}http{{ end }}
{{- end }}

{{/*
A probe from values; an httpGet probe gets scheme HTTPS when the pod serves TLS.
*/}}
{{- define "labelguard.probe" -}}
{{- $probe := deepCopy .probe }}
{{- if and $probe.httpGet .root.Values.tls.enabled (not $probe.httpGet.scheme) }}
{{- $_ := set $probe.httpGet "scheme" "HTTPS" }}
{{- end }}
{{- toYaml $probe }}
{{- end }}

{{/*
Checks that JSON schema cannot express (comparisons between values), and
the values without which the pod could not start: a render that fails naming
the value beats a pod in a crash loop.
*/}}
{{- define "labelguard.validate" -}}
{{- if eq .Values.auth.mode "required" }}
{{- $missing := list }}
{{- if not (include "labelguard.hasTrustedIssuers" .) }}
{{- $missing = append $missing "auth.trustedIssuers.content or auth.trustedIssuers.existingSecret (the EHRs allowed to call, format in SECURITY.md)" }}
{{- end }}
{{- if not .Values.config.baseUrl }}
{{- $missing = append $missing "config.baseUrl (the URL the EHR calls; JWTs must carry it as their audience)" }}
{{- end }}
{{- if $missing }}
{{- fail (printf "\n\nauth.mode=required (the default) needs %s.\nFor a throw-away development cluster without an EHR, set auth.mode=disabled and auth.allowInsecure=true instead." (join " and " $missing)) }}
{{- end }}
{{- end }}
{{- if and (include "labelguard.usePostgres" .) (not (include "labelguard.hasHashKey" .)) }}
{{- $secret := printf "%s-hash-key" (include "labelguard.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- fail (printf "\n\nPostgreSQL needs hashKey.existingSecret (or hashKey.value): every replica must hash patient ids with the same key, and the chart generates no secret. Create it once and keep it with your database backups:\n  kubectl -n %s create secret generic %s --from-literal=hash-key=\"$(openssl rand -hex 32)\"\nthen set hashKey.existingSecret=%s.\nA release installed with chart 0.1.x already has this Secret (its generated key, kept on upgrade): set hashKey.existingSecret=%s to keep today's pseudonyms." .Release.Namespace $secret $secret $secret) }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- if and .Values.auth.trustedIssuers.files (not .Values.auth.trustedIssuers.content) }}
{{- fail "auth.trustedIssuers.files needs auth.trustedIssuers.content (with an existing Secret, put the files in it)" }}
{{- end }}
{{- if and .Values.policies.configMapFiles (not .Values.policies.configMap) }}
{{- fail "policies.configMapFiles needs policies.configMap (the ConfigMap that holds them)" }}
{{- end }}
{{- $drain := toString .Values.config.drainDelay }}
{{- $shutdown := toString .Values.config.shutdownTimeout }}
{{- if and (regexMatch "^[0-9]+s$" $drain) (regexMatch "^[0-9]+s$" $shutdown) }}
{{- $need := add (atoi (trimSuffix "s" $drain)) (atoi (trimSuffix "s" $shutdown)) }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int $need) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be above config.drainDelay plus config.shutdownTimeout (%ds), or Kubernetes kills the pod before its calls finish and its audit is written" (int .Values.terminationGracePeriodSeconds) (int $need)) }}
{{- end }}
{{- end }}
{{- end }}
