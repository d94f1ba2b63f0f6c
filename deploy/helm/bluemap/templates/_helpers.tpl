{{/* Names, labels and the environment every Blue Map container shares. */}}

{{- define "bluemap.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* A component's name: <fullname>-<service>[-relay]. Call with (dict "root" $ "service" name "role" role). */}}
{{- define "bluemap.component" -}}
{{- $name := printf "%s-%s" (include "bluemap.fullname" .root) .service -}}
{{- if eq .role "relay" -}}{{- $name = printf "%s-relay" $name -}}{{- end -}}
{{- $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "bluemap.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .service }}-{{ .role }}
{{- end -}}

{{- define "bluemap.labels" -}}
{{ include "bluemap.selectorLabels" . }}
app.kubernetes.io/part-of: bluemap
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "bluemap.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "bluemap.fullname" .)) -}}
{{- end -}}

{{- define "bluemap.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "bluemap.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* The image of a service: (dict "root" $ "service" name "spec" serviceValues). */}}
{{- define "bluemap.image" -}}
{{- $image := .root.Values.image -}}
{{- $repository := printf "%s-%s" $image.repository .service -}}
{{- if $image.registry }}{{ $repository = printf "%s/%s" $image.registry $repository }}{{ end -}}
{{- $digest := (.spec.image | default dict).digest -}}
{{- if $digest -}}
{{- printf "%s@%s" $repository $digest -}}
{{- else -}}
{{- printf "%s:%s" $repository ($image.tag | default .root.Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{- define "bluemap.apiUrl" -}}
{{- $spec := index .root.Values.services .service -}}
{{- printf "http://%s:%v/api/%s" (include "bluemap.component" (dict "root" .root "service" .service "role" "serve")) $spec.port .service -}}
{{- end -}}

{{- define "bluemap.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "bluemap.secretName" .root }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end -}}

{{/*
The container environment of a service: (dict "root" $ "service" name "spec" serviceValues "role" role).
Plain settings first, then the ones taken from the Secret.
*/}}
{{- define "bluemap.env" -}}
{{- $root := .root -}}
{{- $spec := .spec -}}
{{- $prefix := $spec.envPrefix -}}
{{- $kafka := $root.Values.kafka -}}
{{- $settings := dict -}}
{{- range $key, $value := $root.Values.settings }}{{ $_ := set $settings $key $value }}{{ end -}}
{{- $_ := set $settings "host" "0.0.0.0" -}}
{{- $_ := set $settings "port" $spec.port -}}
{{- $_ := set $settings "data_dir" "/tmp/bluemap" -}}
{{- $_ := set $settings "jwks_url" ($root.Values.jwksUrl | default (printf "%s/.well-known/jwks.json" (include "bluemap.apiUrl" (dict "root" $root "service" "records")))) -}}
{{- $_ := set $settings "kafka_bootstrap" $kafka.bootstrap -}}
{{- $_ := set $settings "kafka_namespace" $kafka.namespace -}}
{{- $_ := set $settings "kafka_topic_partitions" $kafka.topicPartitions -}}
{{- $_ := set $settings "kafka_replication_factor" $kafka.replicationFactor -}}
{{- if not (kindIs "invalid" $kafka.minInsyncReplicas) }}{{ $_ := set $settings "kafka_min_insync_replicas" $kafka.minInsyncReplicas }}{{ end -}}
{{- if not (kindIs "invalid" $kafka.retentionMs) }}{{ $_ := set $settings "kafka_retention_ms" $kafka.retentionMs }}{{ end -}}
{{- $_ := set $settings "kafka_security_protocol" $kafka.securityProtocol -}}
{{- $sasl := hasPrefix "SASL_" $kafka.securityProtocol -}}
{{- if $sasl }}
{{- $_ := set $settings "kafka_sasl_mechanism" $kafka.sasl.mechanism -}}
{{- $_ := set $settings "kafka_sasl_username" $kafka.sasl.username -}}
{{- end -}}
{{- if $kafka.tls.caSecret }}{{ $_ := set $settings "kafka_ssl_cafile" "/etc/bluemap/kafka-ca/ca.crt" }}{{ end -}}
{{- if and (eq .role "serve") $spec.relay.enabled }}{{ $_ := set $settings "outbox_relay_in_process" "false" }}{{ end -}}
{{- if eq .service "records" }}{{ $_ := set $settings "jwt_private_key_file" "/etc/bluemap/keys/records-token-signing-key.pem" }}{{ end -}}
{{- if eq .service "public-portal" }}
{{- range $other := list "records" "explanations" "documents" "notifications" }}
{{- $_ := set $settings (printf "%s_api_url" $other) (include "bluemap.apiUrl" (dict "root" $root "service" $other)) -}}
{{- end }}
{{- end -}}
{{- range $key, $value := $spec.settings }}{{ $_ := set $settings $key $value }}{{ end -}}
{{- range $key := keys $settings | sortAlpha }}
{{- $value := index $settings $key }}
{{- /* YAML numbers arrive as floats: 1209600000 would be written 1.2096e+09. */}}
{{- if and (kindIs "float64" $value) (eq $value (floor $value)) }}{{ $value = int64 $value }}{{ end }}
- name: {{ printf "%s%s" $prefix (upper $key) }}
  value: {{ $value | toString | quote }}
{{- end }}
- name: XDG_CACHE_HOME
  value: /tmp/.cache
{{- range $name := keys $root.Values.tracing.env | sortAlpha }}
- name: {{ $name }}
  value: {{ index $root.Values.tracing.env $name | toString | quote }}
{{- end }}
{{ include "bluemap.secretEnv" (dict "root" $root "name" (printf "%sDATABASE_URL" $prefix) "key" (printf "%s-database-url" .service)) }}
{{- if $sasl }}
{{ include "bluemap.secretEnv" (dict "root" $root "name" (printf "%sKAFKA_SASL_PASSWORD" $prefix) "key" "kafka-sasl-password") }}
{{- end }}
{{- if eq .service "documents" }}
{{ include "bluemap.secretEnv" (dict "root" $root "name" (printf "%sS3_ACCESS_KEY" $prefix) "key" "documents-s3-access-key") }}
{{ include "bluemap.secretEnv" (dict "root" $root "name" (printf "%sS3_SECRET_KEY" $prefix) "key" "documents-s3-secret-key") }}
{{ include "bluemap.secretEnv" (dict "root" $root "name" (printf "%sURL_SIGNING_KEY" $prefix) "key" "documents-url-signing-key") }}
{{- end }}
{{- if eq .service "notifications" }}
{{ include "bluemap.secretEnv" (dict "root" $root "name" (printf "%sSMTP_PASSWORD" $prefix) "key" "notifications-smtp-password" "optional" true) }}
{{- end }}
{{- end -}}

{{/* Volumes and mounts: a writable /tmp (the root file system is read-only), keys, the Kafka CA. */}}
{{- define "bluemap.volumes" -}}
- name: tmp
  emptyDir: {}
{{- if eq .service "records" }}
- name: keys
  secret:
    secretName: {{ include "bluemap.secretName" .root }}
    defaultMode: 0400
    items:
      - key: records-token-signing-key.pem
        path: records-token-signing-key.pem
{{- end }}
{{- if .root.Values.kafka.tls.caSecret }}
- name: kafka-ca
  secret:
    secretName: {{ .root.Values.kafka.tls.caSecret }}
    items:
      - key: ca.crt
        path: ca.crt
{{- end }}
{{- end -}}

{{- define "bluemap.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if eq .service "records" }}
- name: keys
  mountPath: /etc/bluemap/keys
  readOnly: true
{{- end }}
{{- if .root.Values.kafka.tls.caSecret }}
- name: kafka-ca
  mountPath: /etc/bluemap/kafka-ca
  readOnly: true
{{- end }}
{{- end -}}

{{/* Pod spec fields shared by the Deployments and the migration Job. */}}
{{- define "bluemap.podCommon" -}}
serviceAccountName: {{ include "bluemap.serviceAccountName" .root }}
automountServiceAccountToken: false
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- end -}}
