"""The monitoring layer: Prometheus (the plain chart, not the operator) and Grafana at /grafana/.

Its own Flux Kustomization, after the controllers and beside the hubs, so a monitoring
failure never blocks a hub. Both run on tools nodes with their data on the drive class
(core zone, kept on delete). kube-state-metrics exports the pod labels z2jh gives user
servers (`hub.jupyter.org/username`, `component`), so dashboards can group by hub
(namespace) and user; node-exporter runs on every node, tainted user nodes included.
The alert rules follow the issue's list: volumes of drives and hub databases filling up,
failed spawns, pods stuck Pending, NFS servers restarting.
"""

from __future__ import annotations

from typing import Any

from ..core.capacity import GRAFANA_POD, PROMETHEUS_POD, STATE_METRICS_POD
from ..core.charts import GRAFANA, MONITORING_CHARTS, PROMETHEUS
from ..core.names import (
    ALERT_RECEIVERS_SECRET,
    DRIVE_CLAIM,
    DRIVE_STORAGE_CLASS,
    GRAFANA_ADMIN_SECRET,
    HUB_DB_CLAIM,
    INGRESS_CLASS,
    MERGEABLE_TYPE,
    MONITORING_NAMESPACE,
    NODEGROUP_ROLE_LABEL,
    RECEIVER_SECRETS_DIR,
    ROLE_LABELS,
    SLACK_WEBHOOK_KEY,
    SMTP_PASSWORD_KEY,
)
from ..model import Cluster, Monitoring
from .common import Manifest, namespace, upstream_release
from .sources import render_helm_repositories

GRAFANA_PATH = "/grafana/"
TOOLS = {NODEGROUP_ROLE_LABEL: ROLE_LABELS["tools"][0]}
HUB_VOLUMES = f"{DRIVE_CLAIM}|{HUB_DB_CLAIM}"
#: Where Grafana finds Prometheus: the chart's server Service (release "prometheus").
PROMETHEUS_URL = f"http://prometheus-server.{MONITORING_NAMESPACE}.svc.cluster.local"


#: The Prometheus server's pods (the chart's selector labels for release "prometheus").
PROMETHEUS_SERVER_LABELS = {
    "app.kubernetes.io/name": "prometheus",
    "app.kubernetes.io/instance": "prometheus",
    "app.kubernetes.io/component": "server",
}


def prometheus_may_scrape(port: int) -> dict[str, Any]:
    """A NetworkPolicy ingress rule: the Prometheus server, from the monitoring namespace, on `port`."""
    return {
        "from": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}},
                "podSelector": {"matchLabels": PROMETHEUS_SERVER_LABELS},
            }
        ],
        "ports": [{"port": port, "protocol": "TCP"}],
    }


def alert(name: str, expr: str, wait: str, severity: str, summary: str) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": wait,
        "labels": {"severity": severity},
        "annotations": {"summary": summary},
    }


def alert_rules() -> dict[str, Any]:
    """Prometheus rule groups (the server's alerting_rules.yml)."""
    used = (
        f'kubelet_volume_stats_used_bytes{{persistentvolumeclaim=~"{HUB_VOLUMES}"}}'
        f' / kubelet_volume_stats_capacity_bytes{{persistentvolumeclaim=~"{HUB_VOLUMES}"}}'
    )
    return {
        "groups": [
            {
                "name": "hubfleet",
                "rules": [
                    alert("HubVolumeAlmostFull", f"{used} > 0.9", "15m", "warning",
                          "{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is over 90% full"),
                    alert("HubVolumeFull", f"{used} > 0.99", "5m", "critical",
                          "{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is full: writes fail"),
                    alert("HubSpawnsFailing",
                          'sum by (namespace) (increase(jupyterhub_server_spawn_duration_seconds_count{status="failure"}[30m])) >= 2',
                          "0m", "warning", "hub {{ $labels.namespace }}: two or more servers failed to start in 30 minutes"),
                    alert("PodPendingTooLong", 'max by (namespace, pod) (kube_pod_status_phase{phase="Pending"}) == 1',
                          "30m", "warning", "{{ $labels.namespace }}/{{ $labels.pod }} has been Pending for 30 minutes"),
                    alert("AutoscalerScaleUpFailing", "increase(cluster_autoscaler_failed_scale_ups_total[30m]) > 0",
                          "0m", "warning", "the cluster autoscaler failed to add nodes: users may wait for servers"),
                    alert("DriveServerRestarted",
                          'increase(kube_pod_container_status_restarts_total{container="nfs-server"}[30m]) > 0',
                          "0m", "critical", "the drive of hub {{ $labels.namespace }} restarted: users' files paused"),
                ],
            }
        ]
    }  # fmt: skip


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
    if monitoring.email is None and monitoring.slack_channel is None:
        return {"enabled": False}
    values: dict[str, Any] = {
        "enabled": True,
        "nodeSelector": TOOLS,
        "persistence": {"enabled": True, "storageClass": DRIVE_STORAGE_CLASS, "size": "1Gi"},
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


def prometheus_values(monitoring: Monitoring) -> dict[str, Any]:
    return {
        "server": {
            "retention": monitoring.retention,
            "persistentVolume": {
                "enabled": True,
                "size": monitoring.storage,
                "storageClass": DRIVE_STORAGE_CLASS,
            },
            "nodeSelector": TOOLS,
            "resources": PROMETHEUS_POD.resources(),
        },
        "alertmanager": alertmanager_values(monitoring),
        "prometheus-pushgateway": {"enabled": False},
        "kube-state-metrics": {
            "nodeSelector": TOOLS,
            "resources": STATE_METRICS_POD.resources(),
            "metricLabelsAllowlist": ["pods=[hub.jupyter.org/username,component,app]"],
        },
        # Every node, the tainted user and GPU nodes included.
        "prometheus-node-exporter": {"tolerations": [{"operator": "Exists"}]},
        "serverFiles": {"alerting_rules.yml": alert_rules()},
    }


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
        # One pod at a time: its ReadWriteOnce volume cannot follow a new pod to another node.
        "deploymentStrategy": {"type": "Recreate"},
        "persistence": {
            "enabled": True,
            "storageClassName": DRIVE_STORAGE_CLASS,
            "size": monitoring.grafana_storage,
        },
        "grafana.ini": {
            "server": {"root_url": f"https://{cluster.domain}{GRAFANA_PATH}", "serve_from_sub_path": True},
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
        # A minion of the cluster's master Ingress, like every hub; TLS is the master's.
        "ingress": {
            "enabled": True,
            "ingressClassName": INGRESS_CLASS,
            "annotations": {MERGEABLE_TYPE: "minion"},
            "hosts": [cluster.domain],
            "path": GRAFANA_PATH,
            "pathType": "Prefix",
            "tls": [],
        },
    }


def render_monitoring_files(cluster: Cluster) -> dict[str, list[Manifest]]:
    """File name -> documents of the monitoring layer; empty without `monitoring`."""
    monitoring = cluster.monitoring
    if monitoring is None:
        return {}
    return {
        "namespace.yaml": [namespace(MONITORING_NAMESPACE)],
        "sources.yaml": render_helm_repositories(MONITORING_CHARTS),
        "prometheus.yaml": [
            upstream_release(PROMETHEUS, cluster.charts.of(PROMETHEUS), prometheus_values(monitoring))
        ],
        "grafana.yaml": [
            upstream_release(GRAFANA, cluster.charts.of(GRAFANA), grafana_values(cluster, monitoring))
        ],
    }
