"""Flux sources: one HelmRepository per upstream chart repository, all in flux-system.

Our own charts (charts/ in this repository) come from the flux-system
GitRepository that `flux bootstrap` creates, so they need no source here.
"""

from __future__ import annotations

from ..core.charts import MONITORING_CHARTS, UPSTREAM_CHARTS, UpstreamChart
from ..core.names import FLUX_NAMESPACE
from .common import SOURCE_API, Manifest, metadata


def render_helm_repositories(charts: tuple[UpstreamChart, ...] | None = None) -> list[Manifest]:
    """HelmRepositories of `charts`; by default of every chart but the monitoring layer's."""
    chosen = charts if charts is not None else tuple(c for c in UPSTREAM_CHARTS if c not in MONITORING_CHARTS)
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
