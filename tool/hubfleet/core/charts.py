"""Shared layer: the upstream Helm charts hubfleet deploys, in one shape.

Each chart is listed once with everything the stages need: the key people pin
its version under (`charts:` in cluster.yaml), its name and Flux HelmRepository,
the release name and namespace render gives it, and the version this hubfleet
release was tested with. Render, the model's defaults, the scaffold and the
schema test all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .names import (
    CERT_MANAGER_NAMESPACE,
    KUBE_SYSTEM,
    MONITORING_NAMESPACE,
    NGINX_NAMESPACE,
    SEALED_SECRETS_NAMESPACE,
    TIGERA_NAMESPACE,
)


@dataclass(frozen=True)
class ChartRepository:
    """A Helm chart repository, as a Flux HelmRepository in flux-system."""

    name: str
    url: str


@dataclass(frozen=True)
class UpstreamChart:
    key: str
    chart: str
    repository: ChartRepository
    default_version: str
    #: The release's name and namespace; a per-hub chart (JupyterHub) is released in each hub's.
    release: str
    namespace: str | None


AUTOSCALER = UpstreamChart(
    "clusterAutoscaler",
    "cluster-autoscaler",
    ChartRepository("autoscaler", "https://kubernetes.github.io/autoscaler"),
    "9.59.0",
    "cluster-autoscaler",
    KUBE_SYSTEM,
)
NGINX_INGRESS = UpstreamChart(
    "nginxIngress",
    "nginx-ingress",
    ChartRepository("nginx-stable", "https://helm.nginx.com/stable"),
    "2.6.4",
    "nginx-ingress",
    NGINX_NAMESPACE,
)
SEALED_SECRETS = UpstreamChart(
    "sealedSecrets",
    "sealed-secrets",
    ChartRepository("sealed-secrets", "https://bitnami-labs.github.io/sealed-secrets"),
    "2.18.5",
    "sealed-secrets",
    SEALED_SECRETS_NAMESPACE,
)
CSI_DRIVER_NFS = UpstreamChart(
    "csiDriverNfs",
    "csi-driver-nfs",
    ChartRepository(
        "csi-driver-nfs", "https://raw.githubusercontent.com/kubernetes-csi/csi-driver-nfs/master/charts"
    ),
    "4.12.1",
    "csi-driver-nfs",
    KUBE_SYSTEM,
)
JUPYTERHUB = UpstreamChart(
    "jupyterhub",
    "jupyterhub",
    ChartRepository("jupyterhub", "https://hub.jupyter.org/helm-chart/"),
    "4.4.0",
    "jupyterhub",
    None,
)
#: Calico in policy-only mode beside the VPC CNI: its CRDs (their own chart since Calico 3.32) and
#: the operator that runs calico-node on every node (render/network_policy.py says why).
CALICO_REPOSITORY = ChartRepository("projectcalico", "https://docs.tigera.io/calico/charts")
CALICO_CRDS = UpstreamChart(
    "calicoCrds", "crd.projectcalico.org.v1", CALICO_REPOSITORY, "v3.32.1", "calico-crds", TIGERA_NAMESPACE
)
TIGERA_OPERATOR = UpstreamChart(
    "tigeraOperator", "tigera-operator", CALICO_REPOSITORY, "v3.32.1", "tigera-operator", TIGERA_NAMESPACE
)

PROMETHEUS = UpstreamChart(
    "prometheus",
    "prometheus",
    ChartRepository("prometheus-community", "https://prometheus-community.github.io/helm-charts"),
    "29.27.0",
    "prometheus",
    MONITORING_NAMESPACE,
)
#: Grafana's chart moved from grafana/helm-charts to grafana-community/helm-charts in 2026.
GRAFANA = UpstreamChart(
    "grafana",
    "grafana",
    ChartRepository("grafana-community", "https://grafana-community.github.io/helm-charts"),
    "12.11.1",
    "grafana",
    MONITORING_NAMESPACE,
)
#: cert-manager, for `tls.mode: acme` (core/tls.py); its CRDs come with the chart.
CERT_MANAGER = UpstreamChart(
    "certManager",
    "cert-manager",
    ChartRepository("jetstack", "https://charts.jetstack.io"),
    "v1.21.1",
    "cert-manager",
    CERT_MANAGER_NAMESPACE,
)

#: Every upstream chart, in the order the `charts:` input lists them.
UPSTREAM_CHARTS = (
    AUTOSCALER,
    NGINX_INGRESS,
    SEALED_SECRETS,
    CSI_DRIVER_NFS,
    CALICO_CRDS,
    TIGERA_OPERATOR,
    JUPYTERHUB,
    PROMETHEUS,
    GRAFANA,
    CERT_MANAGER,
)
#: Charts only a cluster with `monitoring` deploys (their sources live in its monitoring layer).
MONITORING_CHARTS = (PROMETHEUS, GRAFANA)
#: Charts only a cluster with `tls.mode: acme` deploys.
ACME_CHARTS = (CERT_MANAGER,)

#: Images whose minor version must equal the cluster's Kubernetes minor (Kubernetes' version-skew
#: policy; the autoscaler's own rule is "use the matching minor"), and the newest patch of each
#: minor hubfleet pins. Sources: kubernetes/autoscaler tags `cluster-autoscaler-1.3x.y`, and the
#: `k8s.io/kubernetes` versions the autoscaler's release branches build against (kube-scheduler).
#: The day these pins were last checked against those tags; a newer patch may exist since.
MINOR_PINS_CHECKED = "2026-12-01"
AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler"
AUTOSCALER_TAGS = {
    "1.30": "v1.30.7",
    "1.31": "v1.31.5",
    "1.32": "v1.32.7",
    "1.33": "v1.33.6",
    "1.34": "v1.34.5",
    "1.35": "v1.35.2",
}
KUBE_SCHEDULER_IMAGE = "registry.k8s.io/kube-scheduler"
KUBE_SCHEDULER_TAGS = {
    "1.30": "v1.30.14",
    "1.31": "v1.31.13",
    "1.32": "v1.32.13",
    "1.33": "v1.33.13",
    "1.34": "v1.34.9",
    "1.35": "v1.35.6",
}
#: Image repositories that follow the cluster's minor, with the tags pinned per minor.
MINOR_PINNED_IMAGES = {AUTOSCALER_IMAGE: AUTOSCALER_TAGS, KUBE_SCHEDULER_IMAGE: KUBE_SCHEDULER_TAGS}


def chart_spec(spec: Any) -> dict[str, Any]:
    """A HelmRelease's `spec.chart.spec` (the chart, its version and source), or {} when absent."""
    chart = spec.get("chart") if isinstance(spec, dict) else None
    inner = chart.get("spec") if isinstance(chart, dict) else None
    return inner if isinstance(inner, dict) else {}
