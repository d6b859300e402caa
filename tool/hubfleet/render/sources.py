"""Flux sources: one HelmRepository per upstream chart repository, all in flux-system.

Our own charts (charts/ in this repository) come from the flux-system
GitRepository that `flux bootstrap` creates, so they need no source here.
"""

from __future__ import annotations

from ..core.charts import MONITORING_CHARTS, UpstreamChart
from ..core.names import FLUX_NAMESPACE
from ..inputs.model.cluster import Cluster
from .common import SOURCE_API, Manifest, metadata


def render_helm_repositories(cluster: Cluster, monitoring: bool = False) -> list[Manifest]:
    """HelmRepositories of the charts the cluster deploys: the monitoring layer's, or all the others."""
    chosen: list[UpstreamChart] = [
        c for c in cluster.deployed_charts if (c in MONITORING_CHARTS) == monitoring
    ]
    repositories = {chart.repository.name: chart.repository for chart in chosen}
    return [
        {
            "apiVersion": SOURCE_API,
            "kind": "HelmRepository",
            "metadata": metadata(repo.name, FLUX_NAMESPACE),
            "spec": {"interval": "12h", "url": repo.url},
        }
        for _, repo in sorted(repositories.items())
    ]
