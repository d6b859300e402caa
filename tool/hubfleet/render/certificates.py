"""cert-manager and the cluster's certificate, for `tls.mode: acme` (core/tls.py says why).

The controllers layer installs cert-manager (its CRDs through the chart, kept if the release is
ever removed, so the Certificate and its Secret survive); the configs layer, which waits for the
controllers, adds the two Let's Encrypt ClusterIssuers and the one wildcard Certificate. The
Certificate writes the Secret NGINX serves (`ingress.tlsSecretName` in nginx-ingress), and the
configs layer waits until it is Ready (render/layers.certificate_health), so NGINX, which will
not start without that Secret, comes after it exactly as it does after a sealed certificate.
"""

from __future__ import annotations

from typing import Any

from ..core.capacity import CERT_MANAGER_CHECK_POD, CERT_MANAGER_PODS
from ..core.charts import CERT_MANAGER
from ..core.names import CERT_MANAGER_NAMESPACE, MONITORING_NAMESPACE, NGINX_NAMESPACE, aws_partition
from ..core.tls import ACME_ISSUERS, ACME_SERVERS, AcmeIssuer, cert_manager_role_name, issuer_name
from ..core.urls import hosts_needed
from ..inputs.model.cluster import Cluster
from .common import CERT_MANAGER_API, NO_ESCALATION, Manifest, metadata, namespace, upstream_release
from .controllers import TOOLS_SELECTOR
from .monitoring_access import NAMESPACE_LABEL, PROMETHEUS_SERVER

#: The chart's pod context: non-root, the runtime's seccomp profile.
POD_CONTEXT = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
#: The controller's context adds fsGroup 1001, so that it can read the IRSA token file EKS's
#: webhook mounts for the pod's group, as cert-manager's Route 53 guide asks.
IRSA_CONTEXT = {**POD_CONTEXT, "fsGroup": 1001}
CONTAINER_CONTEXT = {**NO_ESCALATION, "readOnlyRootFilesystem": True}


#: Prometheus's server pods, from the monitoring namespace, to the controller's metrics port.
PROMETHEUS_SCRAPES = {
    "from": [
        {
            "namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: MONITORING_NAMESPACE}},
            "podSelector": {"matchLabels": PROMETHEUS_SERVER},
        }
    ],
    "ports": [{"port": "http-metrics", "protocol": "TCP"}],
}


def role_arn(cluster: Cluster) -> str:
    partition = aws_partition(cluster.region)
    return f"arn:{partition}:iam::{cluster.account_id}:role/{cert_manager_role_name(cluster.name)}"


def _component(name: str, context: dict[str, Any] = POD_CONTEXT) -> dict[str, Any]:
    return {
        "nodeSelector": TOOLS_SELECTOR,
        "resources": CERT_MANAGER_PODS[name][1].resources(),
        "securityContext": context,
        "containerSecurityContext": CONTAINER_CONTEXT,
    }


def render_cert_manager(cluster: Cluster) -> list[Manifest]:
    """The namespace and the release, all three components on tools nodes."""
    values: dict[str, Any] = {
        "crds": {"enabled": True, "keep": True},
        # Its leader-election lease in its own namespace rather than kube-system.
        "global": {"leaderElection": {"namespace": CERT_MANAGER_NAMESPACE}},
        **_component("cert-manager", IRSA_CONTEXT),
        "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": role_arn(cluster)}},
        # Only Prometheus reaches the controller (its metrics); nothing reaches the CA injector.
        # The webhook stays open: EKS's API server calls it from VPC addresses, as pods have.
        "networkPolicy": {"enabled": True, "ingress": [PROMETHEUS_SCRAPES]},
        "webhook": _component("cert-manager-webhook"),
        "cainjector": {
            **_component("cert-manager-cainjector"),
            "networkPolicy": {"enabled": True, "ingress": []},
        },
        "startupapicheck": {
            "nodeSelector": TOOLS_SELECTOR,
            "resources": CERT_MANAGER_CHECK_POD.resources(),
            "securityContext": POD_CONTEXT,
            "containerSecurityContext": CONTAINER_CONTEXT,
        },
    }
    release = upstream_release(CERT_MANAGER, cluster.charts.of(CERT_MANAGER), values)
    return [namespace(CERT_MANAGER_NAMESPACE), release]


def _issuer(cluster: Cluster, issuer: AcmeIssuer) -> Manifest:
    zone = cluster.hosted_zone
    assert zone is not None, "the tls rules refuse acme without a hosted zone"
    name = issuer_name(issuer)
    contact = {"email": cluster.tls.email} if cluster.tls.email else {}
    return {
        "apiVersion": CERT_MANAGER_API,
        "kind": "ClusterIssuer",
        "metadata": metadata(name),
        "spec": {
            "acme": {
                **contact,
                "server": ACME_SERVERS[issuer],
                # The ACME account's key, made by cert-manager in its own namespace.
                "privateKeySecretRef": {"name": f"{name}-account"},
                "solvers": [
                    {
                        "selector": {"dnsZones": [cluster.domain]},
                        "dns01": {"route53": {"region": cluster.region, "hostedZoneID": zone.id}},
                    }
                ],
            }
        },
    }


def render_acme_issuers(cluster: Cluster) -> list[Manifest]:
    """Both directories, so trying staging first (`tls.issuer`) changes only the Certificate."""
    return [_issuer(cluster, issuer) for issuer in ACME_ISSUERS]


def render_certificate(cluster: Cluster) -> Manifest:
    """One certificate for the domain and every name under it: `urls: host` needs the wildcard,
    and with it a later switch from `path` needs no new certificate."""
    return {
        "apiVersion": CERT_MANAGER_API,
        "kind": "Certificate",
        "metadata": metadata(cluster.tls_secret_name, NGINX_NAMESPACE),
        "spec": {
            "secretName": cluster.tls_secret_name,
            "dnsNames": list(hosts_needed("host", cluster.domain)),
            "issuerRef": {
                "group": "cert-manager.io",
                "kind": "ClusterIssuer",
                "name": issuer_name(cluster.tls.issuer),
            },
            # A new key at each renewal: a key that leaked stops being served within one cycle.
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        },
    }
