"""NGINX Inc's nginx-ingress controller and the cluster's master Ingress.

One hostname per cluster: the master Ingress owns the host and its TLS; each hub
adds a minion Ingress with its path (NGINX mergeable Ingresses).
"""

from __future__ import annotations

from ..core.capacity import TOOLS_PODS
from ..core.charts import NGINX_INGRESS
from ..core.names import INGRESS_CLASS, MERGEABLE_TYPE, NGINX_NAMESPACE, NODEGROUP_ROLE_LABEL, ROLE_LABELS
from ..inputs.model.cluster import Cluster
from .common import Manifest, metadata, namespace, upstream_release

MASTER_INGRESS = "hubs-master"
#: The chart's ClusterRole lets the internet-facing controller read every Secret of the cluster;
#: helm-controller takes `secrets` out of it after rendering (the `test` stops the upgrade if a
#: chart moves the entry, rather than removing something else). validate applies it the same way.
NO_CLUSTER_SECRETS = {
    "target": {"kind": "ClusterRole", "name": "nginx-ingress"},
    "patch": (
        "- op: test\n  path: /rules/0/resources/3\n  value: secrets\n"
        "- op: remove\n  path: /rules/0/resources/3\n"
    ),
}
#: The chart's selector labels of the controller pods (release nginx-ingress of chart nginx-ingress).
CONTROLLER_LABELS = {"app.kubernetes.io/name": "nginx-ingress", "app.kubernetes.io/instance": "nginx-ingress"}
#: Why the nginx-ingress release turns helm's values-schema check off, in its rendered file.
NO_SCHEMA_VALIDATION = (
    "install/upgrade.disableSchemaValidation: the chart's values.schema.json $refs Kubernetes",
    "definitions on raw.githubusercontent.com, so helm-controller would need the internet at every",
    "install and upgrade. `hubfleet validate` checks these values against that schema offline.",
)


def tls_secret_ref(cluster: Cluster) -> str:
    return f"{NGINX_NAMESPACE}/{cluster.tls_secret_name}"


def render_ingress_namespace() -> Manifest:
    """Created with the controllers, so the sealed TLS secret has a home before NGINX starts."""
    return namespace(NGINX_NAMESPACE)


def render_ingress_controller(cluster: Cluster) -> Manifest:
    replicas, ingress_pod = TOOLS_PODS["nginx-ingress"]
    values = {
        "controller": {
            "ingressClass": {"name": INGRESS_CLASS, "create": True, "setAsDefaultIngress": False},
            "nodeSelector": {NODEGROUP_ROLE_LABEL: ROLE_LABELS["tools"][0]},
            "config": {
                "entries": {
                    "client-max-body-size": cluster.max_upload_size,
                    "ssl-redirect": "true",
                    "redirect-to-https": "false",
                    "hsts": "true",
                }
            },
            # Secrets only from its own namespace, where the TLS Secret is (the chart's Role grants that).
            "watchSecretNamespace": NGINX_NAMESPACE,
            "defaultTLS": {"secret": tls_secret_ref(cluster)},
            "wildcardTLS": {"secret": tls_secret_ref(cluster)},
            "service": {
                "type": "LoadBalancer",
                "externalTrafficPolicy": "Local",
                "annotations": {
                    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
                },
            },
            "resources": ingress_pod.resources(),
            # Two replicas on two tools nodes, and at most one of them down at a time: a node's
            # loss or a scale-down never takes every hub of the cluster offline.
            "replicaCount": replicas,
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": "kubernetes.io/hostname",
                    "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": {"matchLabels": CONTROLLER_LABELS},
                }
            ],
            "podDisruptionBudget": {"enabled": True, "minAvailable": replicas - 1},
        }
    }
    release = upstream_release(NGINX_INGRESS, cluster.charts.of(NGINX_INGRESS), values, crds=True)
    for phase in ("install", "upgrade"):
        release["spec"][phase]["disableSchemaValidation"] = True
    release["spec"]["postRenderers"] = [{"kustomize": {"patches": [NO_CLUSTER_SECRETS]}}]
    return release


def render_master_ingress(cluster: Cluster) -> Manifest:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata(MASTER_INGRESS, NGINX_NAMESPACE, annotations={MERGEABLE_TYPE: "master"}),
        "spec": {
            "ingressClassName": INGRESS_CLASS,
            "tls": [{"hosts": [cluster.domain], "secretName": cluster.tls_secret_name}],
            "rules": [{"host": cluster.domain}],
        },
    }
