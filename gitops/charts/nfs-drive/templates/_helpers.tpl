{{/*
Naming and labels of the nfs-drive chart.
Every name is derived from the release (and, where it must be cluster-unique,
the namespace) so that it is stable across upgrades.
*/}}

{{/* The chart name, used as app.kubernetes.io/name. */}}
{{- define "nfs-drive.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
"<release>-nfs": the StatefulSet, its Service and its PodDisruptionBudget.
At most 52 characters: the StatefulSet controller labels each pod with
controller-revision-hash "<name>-<10-character hash>", which must fit in 63.
The release part is cut, never the "-nfs" suffix. The Service name must be a
DNS-1035 label, so the release name has to start with a letter.
*/}}
{{- define "nfs-drive.fullname" -}}
{{- if not (regexMatch "^[a-z]" .Release.Name) -}}
{{- fail (printf "nfs-drive: release name %q must start with a lowercase letter (it names the NFS Service)" .Release.Name) -}}
{{- end -}}
{{- printf "%s-nfs" (.Release.Name | trunc 48 | trimSuffix "-") -}}
{{- end -}}

{{/*
"<namespace>-<release>-home": the static PersistentVolume. PersistentVolumes
are cluster-scoped, so the namespace is part of the name. It is also used as
the CSI volumeHandle, which must be unique in the cluster.
*/}}
{{- define "nfs-drive.pvName" -}}
{{- printf "%s-%s-home" .Release.Namespace .Release.Name -}}
{{- end -}}

{{/* Cluster DNS name of the NFS Service, as the NFS CSI node plugin resolves it. */}}
{{- define "nfs-drive.serverHost" -}}
{{- printf "%s.%s.svc.cluster.local" (include "nfs-drive.fullname" .) .Release.Namespace -}}
{{- end -}}

{{/* The helm.sh/chart label value. */}}
{{- define "nfs-drive.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Selector labels: minimal and stable. They are part of the immutable
StatefulSet selector, so they must never change for an existing release.
*/}}
{{- define "nfs-drive.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nfs-drive.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Labels that never change with the chart version. Used where a change would
restart the NFS server (pod template) or is forbidden (volumeClaimTemplates).
*/}}
{{- define "nfs-drive.stableLabels" -}}
{{ include "nfs-drive.selectorLabels" . }}
app.kubernetes.io/part-of: hubfleet
{{- end -}}

{{/* Standard labels of every top-level object. */}}
{{- define "nfs-drive.labels" -}}
{{ include "nfs-drive.stableLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "nfs-drive.chart" . }}
{{- end -}}
