"""Flux sources: one HelmRepository per upstream chart repository, all in flux-system.

Our own charts (charts/ in this repository) come from the flux-system
GitRepository that `flux bootstrap` creates, so they need no source here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..names import FLUX_NAMESPACE
from .common import SOURCE_API, Manifest, metadata


@dataclass(frozen=True)
class ChartRepository:
    name: str
    url: str


AUTOSCALER_REPO = ChartRepository("autoscaler", "https://kubernetes.github.io/autoscaler")
NGINX_REPO = ChartRepository("nginx-stable", "https://helm.nginx.com/stable")
SEALED_SECRETS_REPO = ChartRepository("sealed-secrets", "https://bitnami-labs.github.io/sealed-secrets")
CSI_NFS_REPO = ChartRepository(
    "csi-driver-nfs", "https://raw.githubusercontent.com/kubernetes-csi/csi-driver-nfs/master/charts"
)
JUPYTERHUB_REPO = ChartRepository("jupyterhub", "https://hub.jupyter.org/helm-chart/")

UPSTREAM_REPOSITORIES = (AUTOSCALER_REPO, CSI_NFS_REPO, JUPYTERHUB_REPO, NGINX_REPO, SEALED_SECRETS_REPO)


def render_helm_repositories() -> list[Manifest]:
    return [
        {
            "apiVersion": SOURCE_API,
            "kind": "HelmRepository",
            "metadata": metadata(repo.name, FLUX_NAMESPACE),
            "spec": {"interval": "12h", "url": repo.url},
        }
        for repo in UPSTREAM_REPOSITORIES
    ]
