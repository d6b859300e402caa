"""Flux Kustomizations: the cluster entry point and the order in which layers apply.

infra-controllers installs the controllers (and with them CRDs such as
SealedSecret) and the ingress namespace; infra-configs applies the sealed TLS
secret, which needs that CRD and namespace; infra-ingress then starts the NGINX
controller, which exits at start-up if its default TLS secret is missing, and the
master Ingress; hubs come last. Intervals: layers reconcile hourly (git pushes
trigger sooner through the GitRepository), failures retry every two minutes, and
only the infrastructure layers `wait`, because one slow hub must not hold up the
others.
"""

from __future__ import annotations

from typing import Any

from ..core.layout import BOOTSTRAP_DIR, InfraLayer, Layout
from ..core.names import (
    FLUX_NAMESPACE,
    GIT_REPOSITORY,
    HUBS,
    INFRA_CONFIGS,
    INFRA_CONTROLLERS,
    INFRA_INGRESS,
    INFRA_MONITORING,
)
from ..core.tls import ACME_ISSUERS, issuer_name
from ..inputs.model.cluster import Cluster
from .common import CERT_MANAGER_API, KUSTOMIZE_API, Manifest, kustomization_file, metadata

#: A custom object whose Ready condition is True (CEL, as Flux's healthCheckExprs take it; `.?`
#: reads conditions that are not there yet as none).
READY_EXPR = "status.?conditions.orValue([]).exists(c, c.type == 'Ready' && c.status == 'True')"


def flux_kustomization(
    name: str, flux_path: str, *, wait: bool, depends_on: str | None = None, timeout: str = "10m"
) -> Manifest:
    spec: dict[str, Any] = {
        "interval": "1h",
        "retryInterval": "2m",
        "timeout": timeout,
        "sourceRef": {"kind": "GitRepository", "name": GIT_REPOSITORY},
        "path": flux_path,
        "prune": True,
        "wait": wait,
    }
    if depends_on:
        spec["dependsOn"] = [{"name": depends_on}]
    return {
        "apiVersion": KUSTOMIZE_API,
        "kind": "Kustomization",
        "metadata": metadata(name, FLUX_NAMESPACE),
        "spec": spec,
    }


def render_infrastructure_entry(cluster: Cluster, layout: Layout) -> list[Manifest]:
    def path(layer: InfraLayer) -> str:
        return layout.flux_path(layout.infra_dir(cluster.name, layer))

    configs = flux_kustomization(INFRA_CONFIGS, path("configs"), wait=True, depends_on=INFRA_CONTROLLERS)
    if cluster.tls.mode == "acme":
        configs["spec"]["healthCheckExprs"] = certificate_health(cluster)
    layers = [
        flux_kustomization(INFRA_CONTROLLERS, path("controllers"), wait=True),
        configs,
        flux_kustomization(INFRA_INGRESS, path("ingress"), wait=True, depends_on=INFRA_CONFIGS),
    ]
    if cluster.monitoring is not None:
        # After the controllers (CRDs, the drive class), beside the hubs: nothing waits for it.
        layers.append(
            flux_kustomization(INFRA_MONITORING, path("monitoring"), wait=False, depends_on=INFRA_CONTROLLERS)
        )
    return layers


def certificate_health(cluster: Cluster) -> list[dict[str, str]]:
    """When cert-manager's objects count as ready: their Ready condition True, and nothing before it.

    Without these, Flux's status reader calls a custom object with no conditions yet ready, so
    the layer could pass before cert-manager has looked at the Certificate, and NGINX start with
    no Secret to serve. The issuer not in use (`tls.issuer`) never holds the layer up.
    """
    unused = next(issuer_name(i) for i in ACME_ISSUERS if i != cluster.tls.issuer)
    return [
        {"apiVersion": CERT_MANAGER_API, "kind": "Certificate", "current": READY_EXPR},
        {
            "apiVersion": CERT_MANAGER_API,
            "kind": "ClusterIssuer",
            "current": f"metadata.name == '{unused}' || {READY_EXPR}",
        },
    ]


def render_hubs_entry(cluster: Cluster, layout: Layout) -> list[Manifest]:
    path = layout.flux_path(layout.hubs_dir(cluster.name))
    return [flux_kustomization(HUBS, path, wait=False, depends_on=INFRA_INGRESS, timeout="15m")]


def render_entry_kustomization(entry_files: list[str]) -> Manifest:
    """The bootstrap folder's kustomization.yaml: flux bootstrap's own files plus ours."""
    return kustomization_file([BOOTSTRAP_DIR, *entry_files])
