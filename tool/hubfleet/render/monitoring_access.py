"""Who may reach the monitoring stack: its NetworkPolicies and Grafana's Role.

A notebook is a program its user controls, so nothing in the monitoring namespace may answer it:
Prometheus' API can be asked to quit (with the lifecycle API, which hubfleet turns off) or to
delete series, and Alertmanager's can silence every alert. Every pod of the namespace therefore
admits nothing by default, and each server admits exactly the clients it has:

- Prometheus (9090): Grafana, its only reader;
- Alertmanager (9093): Prometheus, which sends it alerts;
- kube-state-metrics (8080): Prometheus, which scrapes it;
- Grafana (3000): the NGINX controller that serves it (at /grafana/ or grafana.<domain>), behind
  its sealed login.

node-exporter runs on the host network, where no NetworkPolicy applies; it serves only metrics.
Calico enforces these policies (render/network_policy.py); user pods are also kept out by their own
egress policy (no private addresses), so each server is closed on both sides.

Grafana's dashboard sidecar needs to read the ConfigMaps of its own namespace and nothing else; the
chart's Role also grants every Secret there (the SMTP password, the Slack webhook), so hubfleet
gives Grafana a Role of its own and tells the chart to bind that one.
"""

from __future__ import annotations

from typing import Any

from ..core.names import MONITORING_NAMESPACE, NGINX_NAMESPACE
from .common import Manifest, metadata

#: Grafana's own Role (rbac.useExistingRole): ConfigMaps of the monitoring namespace, read only.
GRAFANA_ROLE = "grafana-dashboards-reader"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"
PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
STATE_METRICS_PORT = 8080
GRAFANA_PORT = 3000

#: Selector labels of each server, as the charts give them for the releases render names.
PROMETHEUS_SERVER = {
    "app.kubernetes.io/name": "prometheus",
    "app.kubernetes.io/instance": "prometheus",
    "app.kubernetes.io/component": "server",
}
ALERTMANAGER = {"app.kubernetes.io/name": "alertmanager", "app.kubernetes.io/instance": "prometheus"}
STATE_METRICS = {"app.kubernetes.io/name": "kube-state-metrics", "app.kubernetes.io/instance": "prometheus"}
GRAFANA = {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": "grafana"}


def _in_namespace(name: str) -> dict[str, Any]:
    return {"matchLabels": {NAMESPACE_LABEL: name}}


def prometheus_may_scrape(port: int) -> dict[str, Any]:
    """A NetworkPolicy ingress rule of another namespace (a hub's): the Prometheus server, from the
    monitoring namespace, on `port`."""
    return {
        "from": [{"namespaceSelector": _in_namespace(MONITORING_NAMESPACE), **_pods(PROMETHEUS_SERVER)}],
        "ports": [{"port": port, "protocol": "TCP"}],
    }


def _policy(name: str, pods: dict[str, str], sources: list[dict[str, Any]], port: int) -> Manifest:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(name, MONITORING_NAMESPACE),
        "spec": {
            "podSelector": {"matchLabels": pods},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": sources, "ports": [{"port": port, "protocol": "TCP"}]}],
        },
    }


def _pods(labels: dict[str, str]) -> dict[str, Any]:
    """Pods of the monitoring namespace with these labels (a peer of the same namespace)."""
    return {"podSelector": {"matchLabels": labels}}


def render_monitoring_policies(alertmanager: bool) -> list[Manifest]:
    deny_all: Manifest = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata("deny-ingress", MONITORING_NAMESPACE),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
    policies = [
        deny_all,
        _policy("prometheus-from-grafana", PROMETHEUS_SERVER, [_pods(GRAFANA)], PROMETHEUS_PORT),
        _policy(
            "state-metrics-from-prometheus", STATE_METRICS, [_pods(PROMETHEUS_SERVER)], STATE_METRICS_PORT
        ),
        _policy(
            "grafana-from-ingress",
            GRAFANA,
            [{"namespaceSelector": _in_namespace(NGINX_NAMESPACE)}],
            GRAFANA_PORT,
        ),
    ]
    if alertmanager:
        policies.append(
            _policy(
                "alertmanager-from-prometheus", ALERTMANAGER, [_pods(PROMETHEUS_SERVER)], ALERTMANAGER_PORT
            )
        )
    return policies


def render_grafana_role() -> Manifest:
    """What the dashboard sidecar needs: the ConfigMaps of its namespace, never a Secret."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata(GRAFANA_ROLE, MONITORING_NAMESPACE),
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}],
    }
