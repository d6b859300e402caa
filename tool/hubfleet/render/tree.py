"""Assemble every file of one cluster's rendered tree, at the paths the shared `Layout` gives."""

from __future__ import annotations

from collections.abc import Sequence

from ..core.layout import Layout
from ..core.names import MONITORING_NAMESPACE
from ..inputs.model.cluster import Cluster, GrafanaDashboard, SealedSecretFile
from .autoscaler import render_autoscaler
from .certificates import render_acme_issuers, render_cert_manager, render_certificate
from .common import Manifest, OutputFile, kustomization_file
from .controllers import render_drive_storage_class, render_nfs_csi_driver, render_sealed_secrets_controller
from .eksctl import render_cluster_config
from .hub import render_hub_files
from .ingress import (
    NO_SCHEMA_VALIDATION,
    render_ingress_controller,
    render_ingress_namespace,
    render_master_ingress,
)
from .layers import render_entry_kustomization, render_hubs_entry, render_infrastructure_entry
from .monitoring import render_monitoring_files
from .network_policy import render_calico, render_drive_isolation
from .restore import render_restore, restore_name
from .sources import render_helm_repositories

#: Comments a component file carries under its header.
FILE_NOTES = {"nginx-ingress.yaml": NO_SCHEMA_VALIDATION}


def _folder(
    path: str, source: str, files: dict[str, list[Manifest]], sources: dict[str, str] | None = None
) -> list[OutputFile]:
    """A folder of component files plus the kustomization.yaml that lists them."""
    origin = sources or {}
    out = [
        OutputFile(f"{path}/{name}", origin.get(name, source), docs, FILE_NOTES.get(name, ()))
        for name, docs in files.items()
    ]
    out.append(OutputFile(f"{path}/kustomization.yaml", source, [kustomization_file(list(files))]))
    return out


def render_cluster_tree(
    cluster: Cluster, layout: Layout, dashboards: Sequence[GrafanaDashboard]
) -> list[OutputFile]:
    """Every file of one cluster; `dashboards` are the compiled upstream Grafana dashboards (used
    when the cluster has monitoring)."""
    source = cluster.source_file
    entry = layout.entry_dir(cluster.name)
    acme = cluster.tls.mode == "acme"
    files = [
        OutputFile(layout.eksctl_file(cluster.name), source, [render_cluster_config(cluster)]),
        OutputFile(f"{entry}/infrastructure.yaml", source, render_infrastructure_entry(cluster, layout)),
        OutputFile(f"{entry}/hubs.yaml", source, render_hubs_entry(cluster, layout)),
        OutputFile(
            f"{entry}/kustomization.yaml",
            source,
            [render_entry_kustomization(["hubs.yaml", "infrastructure.yaml"])],
        ),
    ]
    files += _folder(
        layout.infra_dir(cluster.name, "controllers"),
        source,
        {
            "sources.yaml": render_helm_repositories(cluster),
            "cluster-autoscaler.yaml": [render_autoscaler(cluster)],
            "nginx-ingress-namespace.yaml": [render_ingress_namespace()],
            "sealed-secrets.yaml": [render_sealed_secrets_controller(cluster)],
            "csi-driver-nfs.yaml": [render_nfs_csi_driver(cluster)],
            "storageclass.yaml": [render_drive_storage_class(cluster)],
            "calico.yaml": render_calico(cluster),
            **({"cert-manager.yaml": render_cert_manager(cluster)} if acme else {}),
        },
    )
    hub_names = {hub.name for hub in cluster.hubs}
    # A secret sealed for a hub's namespace (its login) goes with the hub; the others (the
    # ingress's TLS certificate) with the infrastructure configs.
    by_hub: dict[str, list[SealedSecretFile]] = {}
    # The monitoring layer makes its own namespace; its secrets go with it (when it is on).
    own = hub_names | ({MONITORING_NAMESPACE} if cluster.monitoring is not None else set())
    for sealed in cluster.sealed_secrets:
        by_hub.setdefault(sealed.namespace if sealed.namespace in own else "", []).append(sealed)
    infra = by_hub.get("", [])
    # After the controllers: the Calico CRDs exist by then.
    configs = {"drive-isolation.yaml": [render_drive_isolation()]}
    if acme:
        # After the controllers: cert-manager's CRDs and webhook are up by then.
        configs["certificate.yaml"] = [*render_acme_issuers(cluster), render_certificate(cluster)]
    configs.update({sealed.file_name: [sealed.manifest] for sealed in infra})
    origins = {sealed.file_name: sealed.source_file for sealed in infra}
    files += _folder(layout.infra_dir(cluster.name, "configs"), source, configs, origins)
    files += _folder(
        layout.infra_dir(cluster.name, "ingress"),
        source,
        {
            "nginx-ingress.yaml": [render_ingress_controller(cluster)],
            # The mergeable master owns the cluster's one host (`urls: path`); with `urls: host`
            # every hub's Ingress stands alone.
            **({"master-ingress.yaml": [render_master_ingress(cluster)]} if cluster.urls == "path" else {}),
        },
    )
    monitoring = render_monitoring_files(cluster, dashboards)
    if monitoring:
        watched = {sealed.file_name: [sealed.manifest] for sealed in by_hub.get(MONITORING_NAMESPACE, [])}
        origins = {sealed.file_name: sealed.source_file for sealed in by_hub.get(MONITORING_NAMESPACE, [])}
        files += _folder(
            layout.infra_dir(cluster.name, "monitoring"), source, {**monitoring, **watched}, origins
        )
    hubs_root = layout.hubs_dir(cluster.name)
    for hub in cluster.hubs:
        hub_files = render_hub_files(cluster, hub, layout)
        hub_origins = {}
        for sealed in by_hub.get(hub.name, []):
            hub_files[sealed.file_name] = [sealed.manifest]
            hub_origins[sealed.file_name] = sealed.source_file
        for restore in (r for r in cluster.restores if r.hub == hub.name):
            file_name = f"{restore_name(restore)}.yaml"
            hub_files[file_name] = render_restore(restore)
            hub_origins[file_name] = restore.source_file
        files += _folder(layout.hub_dir(cluster.name, hub.name), hub.source_file, hub_files, hub_origins)
    files.append(
        OutputFile(
            f"{hubs_root}/kustomization.yaml", source, [kustomization_file([h.name for h in cluster.hubs])]
        )
    )
    return sorted(files, key=lambda f: f.path)
