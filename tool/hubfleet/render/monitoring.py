"""The monitoring layer: Prometheus (the plain chart, not the operator) and Grafana at /grafana/
(or grafana.<domain> with urls: host).

Its own Flux Kustomization, after the controllers and beside the hubs, so a monitoring
failure never blocks a hub. Both run on tools nodes with their data on the drive class
(core zone, kept on delete). kube-state-metrics exports the pod labels and annotation z2jh
gives user servers (`hub.jupyter.org/username`, `component`) and each node's eksctl group,
so dashboards can group by hub (namespace), user and node group; node-exporter runs on every node, tainted user nodes included.
The alert rules follow the issue's list: volumes of drives and hub databases filling up,
failed spawns, a hub not answering at its public URL, pods stuck Pending, NFS servers
restarting, the autoscaler failing to add nodes. Grafana loads the JupyterHub dashboards and
hubfleet's own from ConfigMaps (render/dashboards.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.capacity import (
    ALERTMANAGER_POD,
    DASHBOARD_SIDECAR,
    GRAFANA_POD,
    NODE_EXPORTER_POD,
    PROMETHEUS_POD,
    STATE_METRICS_POD,
)
from ..core.charts import GRAFANA, PROMETHEUS
from ..core.names import (
    ALERT_RECEIVERS_SECRET,
    CERT_MANAGER_NAMESPACE,
    DRIVE_STORAGE_CLASS,
    GRAFANA_ADMIN_SECRET,
    INGRESS_CLASS,
    MERGEABLE_TYPE,
    MONITORING_NAMESPACE,
    NGINX_NAMESPACE,
    NODE_GROUP_LABEL,
    NODEGROUP_ROLE_LABEL,
    RECEIVER_SECRETS_DIR,
    ROLE_LABELS,
    SLACK_WEBHOOK_KEY,
    SMTP_PASSWORD_KEY,
)
from ..core.tls import EXPIRY_ALERT_DAYS
from ..inputs.model.cluster import ALERTMANAGER_STORAGE, Cluster, GrafanaDashboard, Monitoring
from . import metrics
from .common import NO_ESCALATION, Manifest, namespace, upstream_release
from .dashboards import DASHBOARD_LABEL, FOLDER_ANNOTATION, render_dashboards
from .monitoring_access import (
    GRAFANA_ROLE,
    render_grafana_role,
    render_monitoring_policies,
)
from .sources import render_helm_repositories

TOOLS = {NODEGROUP_ROLE_LABEL: ROLE_LABELS["tools"][0]}
#: Where Grafana finds Prometheus: the chart's server Service (release "prometheus").
PROMETHEUS_URL = f"http://prometheus-server.{MONITORING_NAMESPACE}.svc.cluster.local"


#: Instead of the lifecycle API (`--web.enable-lifecycle`, which lets anyone who reaches Prometheus
#: POST /-/quit) and the config-reload sidecar that needs it, Prometheus rereads its own
#: configuration and rules when they change.
RELOAD_FLAGS = ["enable-feature=auto-reload-config", "config.auto-reload-interval=1m"]


def alert(name: str, expr: str, wait: str, severity: str, summary: str) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": wait,
        "labels": {"severity": severity},
        "annotations": {"summary": summary},
    }


def certificate_alerts(cluster: Cluster) -> list[dict[str, Any]]:
    """The served certificate, watched: its expiry EXPIRY_ALERT_DAYS ahead, from cert-manager's gauge
    with `acme` (it renews at 30 days, so this means renewal is failing) or from the recorded
    expiry with `sealed`; with `acme` also a certificate not Ready for an hour (never issued, or
    failing) and an expiry Prometheus no longer receives (cert-manager down or not scraped)."""
    days = f"{EXPIRY_ALERT_DAYS} days"
    name, where = cluster.tls_secret_name, f"the certificate of {cluster.domain}"
    if cluster.tls.mode == "acme":
        describe = f"kubectl -n {NGINX_NAMESPACE} describe certificate {name}"
        expiring = alert(
            "CertificateExpiring", f"{metrics.certificate_days_left(NGINX_NAMESPACE, name)} < {EXPIRY_ALERT_DAYS}",
            "1h", "warning", f"{where} expires in {{{{ $value | humanize }}}} days (under {days}) and "
            f"cert-manager has not renewed it: {describe}",
        )  # fmt: skip
        return [
            expiring,
            alert("CertificateNotReady", f"{metrics.certificate_not_ready(NGINX_NAMESPACE, name)} == 1", "1h",
                  "warning", f"{where} has not been Ready for an hour (not issued, or failing): {describe}"),
            alert("CertificateUnwatched", f"{metrics.certificate_unwatched(NGINX_NAMESPACE, name)} == 1", "1h",
                  "warning", f"no expiry of {where} reaches Prometheus: is cert-manager running? "
                  f"(kubectl -n {CERT_MANAGER_NAMESPACE} get pods)"),
        ]  # fmt: skip
    sealed = cluster.sealed_certificate
    if sealed is None or sealed.not_after is None:
        return []  # validate reports the missing certificate, or its unreadable expiry
    action = f"renew it and seal it: hubfleet seal tls {cluster.name} --cert FILE --key FILE"
    summary = f"{where} expires in {{{{ $value | humanize }}}} days (under {days}); {action}"
    expr = f"{metrics.sealed_certificate_days_left(sealed.not_after)} < {EXPIRY_ALERT_DAYS}"
    return [alert("CertificateExpiring", expr, "1h", "warning", summary)]


def alert_rules(cluster: Cluster) -> dict[str, Any]:
    """Prometheus rule groups (the server's alerting_rules.yml); expressions from metrics.py."""
    used = metrics.volume_used()
    where = "{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }}"
    return {
        "groups": [
            {
                "name": "hubfleet",
                "rules": [
                    alert("HubVolumeAlmostFull", f"{used} > {metrics.ALMOST_FULL:g}", "15m", "warning",
                          f"{where} is over {metrics.ALMOST_FULL:.0%} full"),
                    alert("HubVolumeFull", f"{used} > {metrics.FULL:g}", "5m", "critical",
                          f"{where} is full: writes fail"),
                    alert("HubSpawnsFailing", f"{metrics.spawn_failures()} >= {metrics.SPAWN_FAILURES}",
                          "0m", "warning", "hub {{ $labels.namespace }}: two or more servers failed to start "
                          "in 30 minutes"),
                    alert("HubUnreachable", f"{metrics.hub_reachable()} == 0", "5m", "critical",
                          "hub {{ $labels.namespace }} has not answered /hub/health at its public URL for "
                          "5 minutes"),
                    alert("PodPendingTooLong", f"{metrics.pending_pods()} == 1",
                          "30m", "warning", "{{ $labels.namespace }}/{{ $labels.pod }} has been Pending for 30 minutes"),
                    alert("AutoscalerScaleUpFailing", "increase(cluster_autoscaler_failed_scale_ups_total[30m]) > 0",
                          "0m", "warning", "the cluster autoscaler failed to add nodes: users may wait for servers"),
                    alert("DriveServerRestarted",
                          'increase(kube_pod_container_status_restarts_total{container="nfs-server"}[30m]) > 0',
                          "0m", "critical", "the drive of hub {{ $labels.namespace }} restarted: users' files paused"),
                    *certificate_alerts(cluster),
                ],
            }
        ]
    }  # fmt: skip


def hub_health_scrape(cluster: Cluster) -> dict[str, Any]:
    """Every active hub's /hub/health fetched through its public URL (DNS, certificate, ingress and
    hub, as users reach it), once a minute. The blackbox exporter's chart is not in the chart
    mirror, so Prometheus probes by itself: the endpoint answers 200 with an empty body, which
    Prometheus 3 reads as an empty text exposition when told to fall back to that format; any
    other answer or no answer sets `up` to 0."""
    return {
        "scheme": "https",
        "scrape_interval": "1m",
        "fallback_scrape_protocol": "PrometheusText0.0.4",
        "static_configs": [
            {
                "targets": [cluster.hub_site(hub.name).host],
                "labels": {
                    "__metrics_path__": f"{cluster.hub_site(hub.name).path}hub/health",
                    "namespace": hub.name,
                },
            }
            for hub in cluster.hubs
            if hub.active
        ],
    }


def receiver(monitoring: Monitoring) -> dict[str, Any]:
    """The one receiver: email and/or Slack, secrets read from the mounted sealed Secret's files."""
    found: dict[str, Any] = {"name": "hubfleet"}
    email = monitoring.email
    if email is not None:
        config: dict[str, Any] = {
            "to": email.to,
            "from": email.sender,
            "smarthost": email.smarthost,
            "send_resolved": True,
        }
        if email.username:
            config["auth_username"] = email.username
            config["auth_password_file"] = f"{RECEIVER_SECRETS_DIR}/{SMTP_PASSWORD_KEY}"
        found["email_configs"] = [config]
    if monitoring.slack_channel:
        found["slack_configs"] = [
            {
                "channel": monitoring.slack_channel,
                "api_url_file": f"{RECEIVER_SECRETS_DIR}/{SLACK_WEBHOOK_KEY}",
                "send_resolved": True,
            }
        ]
    return found


def alertmanager_values(monitoring: Monitoring) -> dict[str, Any]:
    """Alertmanager, when the cluster names receivers; without them alerts show in Prometheus only."""
    if not monitoring.alertmanager:
        return {"enabled": False}
    values: dict[str, Any] = {
        "enabled": True,
        "nodeSelector": TOOLS,
        "resources": ALERTMANAGER_POD.resources(),
        # The container's context (the chart's own runs as nobody), with no way to gain privileges.
        "securityContext": {"runAsUser": 65534, "runAsNonRoot": True, "runAsGroup": 65534, **NO_ESCALATION},
        "persistence": {"enabled": True, "storageClass": DRIVE_STORAGE_CLASS, "size": ALERTMANAGER_STORAGE},
        "config": {
            "enabled": True,
            "global": {},
            "receivers": [receiver(monitoring)],
            "route": {
                "receiver": "hubfleet",
                "group_by": ["alertname", "namespace"],
                "repeat_interval": "4h",
            },
        },
    }
    if monitoring.receiver_keys:
        values["extraSecretMounts"] = [
            {
                "name": "receivers",
                "mountPath": RECEIVER_SECRETS_DIR,
                "secretName": ALERT_RECEIVERS_SECRET,
                "readOnly": True,
            }
        ]
    return values


def prometheus_values(cluster: Cluster, monitoring: Monitoring) -> dict[str, Any]:
    values: dict[str, Any] = {
        "server": {
            "retention": monitoring.retention,
            "persistentVolume": {
                "enabled": True,
                "size": monitoring.storage,
                "storageClass": DRIVE_STORAGE_CLASS,
            },
            "nodeSelector": TOOLS,
            "resources": PROMETHEUS_POD.resources(),
            "containerSecurityContext": {**NO_ESCALATION, "readOnlyRootFilesystem": True},
            # In place of the chart's flags (only web.enable-lifecycle), not beside them.
            "extraFlags": RELOAD_FLAGS,
        },
        "configmapReload": {"prometheus": {"enabled": False}},
        "alertmanager": alertmanager_values(monitoring),
        "prometheus-pushgateway": {"enabled": False},
        "kube-state-metrics": {
            "nodeSelector": TOOLS,
            "resources": STATE_METRICS_POD.resources(),
            # What the shipped dashboards group by: the user and component of a pod (z2jh's labels
            # and annotation) and a node's group (the label eksctl gives every node).
            "metricLabelsAllowlist": [
                "pods=[hub.jupyter.org/username,component,app]",
                f"nodes=[{NODE_GROUP_LABEL}]",
            ],
            "metricAnnotationsAllowList": ["pods=[hub.jupyter.org/username]"],
            # No secrets collector, and so no ClusterRole that reads every Secret of the cluster.
            "collectorsExclude": ["secrets"],
        },
        # Every node, the tainted user and GPU nodes included.
        "prometheus-node-exporter": {
            "tolerations": [{"operator": "Exists"}],
            "resources": NODE_EXPORTER_POD.resources(),
            "containerSecurityContext": {**NO_ESCALATION, "readOnlyRootFilesystem": True},
        },
        "serverFiles": {"alerting_rules.yml": alert_rules(cluster)},
    }
    if any(hub.active for hub in cluster.hubs):
        # Added to the chart's own jobs (a map, merged by key), not in place of them.
        values["scrapeConfigs"] = {metrics.HUB_HEALTH_JOB: hub_health_scrape(cluster)}
    return values


def grafana_values(cluster: Cluster, monitoring: Monitoring) -> dict[str, Any]:
    return {
        # Sealed by `hubfleet seal monitoring`; validate fails without it.
        "admin": {
            "existingSecret": GRAFANA_ADMIN_SECRET,
            "userKey": "admin-user",
            "passwordKey": "admin-password",
        },
        "nodeSelector": TOOLS,
        "resources": GRAFANA_POD.resources(),
        # Dashboards come from ConfigMaps in this namespace only: a Role, not the chart's default
        # ClusterRole that reads every Secret of the cluster, and hubfleet's own Role, not the chart's,
        # which reads this namespace's Secrets as well (monitoring_access.py).
        "rbac": {"namespaced": True, "useExistingRole": GRAFANA_ROLE},
        "sidecar": {
            "resources": DASHBOARD_SIDECAR.resources(),
            "dashboards": {
                "enabled": True,
                "label": DASHBOARD_LABEL,
                "labelValue": "1",
                "resource": "configmap",
                "folderAnnotation": FOLDER_ANNOTATION,
                "provider": {"foldersFromFilesStructure": True, "allowUiUpdates": False},
            },
        },
        # The pod's fsGroup already gives Grafana its fresh volume; the chart's root init
        # container that chowns it is not needed.
        "initChownData": {"enabled": False},
        # One pod at a time: its ReadWriteOnce volume cannot follow a new pod to another node.
        "deploymentStrategy": {"type": "Recreate"},
        "persistence": {
            "enabled": True,
            "storageClassName": DRIVE_STORAGE_CLASS,
            "size": monitoring.grafana_storage,
        },
        "grafana.ini": {
            "server": {"root_url": cluster.grafana_site.url, "serve_from_sub_path": cluster.urls == "path"},
            "auth.anonymous": {"enabled": False},
        },
        "datasources": {
            "datasources.yaml": {
                "apiVersion": 1,
                "datasources": [
                    {
                        "name": "Prometheus",
                        "type": "prometheus",
                        "url": PROMETHEUS_URL,
                        "access": "proxy",
                        "isDefault": True,
                    }
                ],
            }
        },
        # With `urls: path` a minion of the cluster's master Ingress, like every hub (TLS is the
        # master's); with `urls: host` an Ingress of its own at grafana.<domain>.
        "ingress": {
            "enabled": True,
            "ingressClassName": INGRESS_CLASS,
            "annotations": {MERGEABLE_TYPE: "minion"} if cluster.urls == "path" else {},
            "hosts": [cluster.grafana_site.host],
            "path": cluster.grafana_site.path,
            "pathType": "Prefix",
            "tls": [] if cluster.urls == "path" else [{"hosts": [cluster.grafana_site.host]}],
        },
    }


def render_monitoring_files(
    cluster: Cluster, dashboards: Sequence[GrafanaDashboard]
) -> dict[str, list[Manifest]]:
    """File name -> documents of the monitoring layer; empty without `monitoring`. `dashboards`
    are the compiled upstream JupyterHub dashboards."""
    monitoring = cluster.monitoring
    if monitoring is None:
        return {}
    return {
        "namespace.yaml": [namespace(MONITORING_NAMESPACE)],
        "sources.yaml": render_helm_repositories(cluster, monitoring=True),
        "prometheus.yaml": [
            upstream_release(
                PROMETHEUS, cluster.charts.of(PROMETHEUS), prometheus_values(cluster, monitoring)
            )
        ],
        "grafana.yaml": [
            upstream_release(GRAFANA, cluster.charts.of(GRAFANA), grafana_values(cluster, monitoring))
        ],
        "dashboards.yaml": render_dashboards(dashboards),
        "network-policies.yaml": render_monitoring_policies(monitoring.alertmanager),
        "grafana-role.yaml": [render_grafana_role()],
    }
