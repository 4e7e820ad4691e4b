{{- define "drover.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "drover.labels" -}}
app.kubernetes.io/part-of: drover
app.kubernetes.io/instance: {{ .Release.Name | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
{{- end -}}

{{- define "drover.serverUrl" -}}
{{- required "serverUrl is required: the edge's public URL, e.g. https://drover.example.com" .Values.serverUrl -}}
{{- end -}}

{{/* Pod and container security for both commands: non-root, no privilege, read-only root. */}}
{{- define "drover.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "drover.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}
