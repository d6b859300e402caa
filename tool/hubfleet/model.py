"""Stage 3, model: frozen, typed objects built only from input that passed the schema.

Every default of the input format lives here, in one place. Later stages read
attributes, never dict keys, so a renamed field is a type error, not a silent None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

NodeRole = Literal["tools", "core", "user"]

#: Upstream chart versions this release of hubfleet renders and was tested with.
DEFAULT_CHART_VERSIONS: dict[str, str] = {
    "clusterAutoscaler": "9.59.0",
    "nginxIngress": "2.6.4",
    "sealedSecrets": "2.18.5",
    "csiDriverNfs": "4.12.1",
    "jupyterhub": "4.4.0",
}
DEFAULT_MAX_UPLOAD_SIZE = "2G"
DEFAULT_BRANCH = "main"
DEFAULT_EXPANDER = "least-waste"


@dataclass(frozen=True)
class NodeGroup:
    """One eksctl node group; `role` decides labels, taints, zones and kubelet hardening."""

    name: str
    role: NodeRole
    instance_type: str
    min_size: int
    max_size: int
    desired_capacity: int
    volume_size: int
    zones: tuple[str, ...]

    @property
    def scales_from_zero(self) -> bool:
        return self.min_size == 0


@dataclass(frozen=True)
class ChartVersions:
    cluster_autoscaler: str
    nginx_ingress: str
    sealed_secrets: str
    csi_driver_nfs: str
    jupyterhub: str


@dataclass(frozen=True)
class Cluster:
    """A cluster as the renderers see it: validated, defaulted, normalised."""

    name: str
    source_file: str
    region: str
    account_id: str
    kubernetes_version: str
    domain: str
    zones: tuple[str, ...]
    core_zone: str
    node_groups: tuple[NodeGroup, ...]
    max_upload_size: str
    tls_secret_name: str
    git_url: str
    git_branch: str
    charts: ChartVersions
    expander: str
    hub_defaults: dict[str, Any] = field(default_factory=dict, compare=False)

    def node_group(self, role: NodeRole) -> NodeGroup:
        """The main group of a role (tools, core or the first user group)."""
        return next(group for group in self.node_groups if group.role == role)

    @property
    def user_groups(self) -> tuple[NodeGroup, ...]:
        return tuple(group for group in self.node_groups if group.role == "user")


def _node_group(name: str, role: NodeRole, raw: dict[str, Any], zones: tuple[str, ...]) -> NodeGroup:
    min_size = int(raw.get("minSize", 0))
    return NodeGroup(
        name=name,
        role=role,
        instance_type=str(raw["instanceType"]),
        min_size=min_size,
        max_size=int(raw["maxSize"]),
        desired_capacity=int(raw.get("desiredCapacity", min_size)),
        volume_size=int(raw.get("volumeSize", 30)),
        zones=zones,
    )


def build_cluster(raw: dict[str, Any], source_file: str) -> Cluster:
    """Build the model from a plain dict that passed schemas/cluster.schema.json."""
    zones = tuple(raw["zones"])
    core_zone = str(raw["coreZone"])
    groups = raw["nodeGroups"]
    node_groups = [
        _node_group("tools", "tools", groups["tools"], (core_zone,)),
        _node_group("core", "core", groups["core"], (core_zone,)),
        _node_group("user", "user", groups["user"], zones),
    ]
    node_groups += [_node_group(extra["name"], "user", extra, zones) for extra in groups.get("extraUser", [])]
    ingress = raw.get("ingress", {})
    flux = raw["flux"]
    charts = {**DEFAULT_CHART_VERSIONS, **raw.get("charts", {})}
    name = str(raw["name"])
    return Cluster(
        name=name,
        source_file=source_file,
        region=str(raw["region"]),
        account_id=str(raw["accountId"]),
        kubernetes_version=str(raw["kubernetesVersion"]),
        domain=str(raw["domain"]).lower(),
        zones=zones,
        core_zone=core_zone,
        node_groups=tuple(node_groups),
        max_upload_size=str(ingress.get("maxUploadSize", DEFAULT_MAX_UPLOAD_SIZE)),
        tls_secret_name=str(ingress.get("tlsSecretName", f"{name.lower()}-tls")),
        git_url=str(flux["url"]),
        git_branch=str(flux.get("branch", DEFAULT_BRANCH)),
        charts=ChartVersions(
            cluster_autoscaler=charts["clusterAutoscaler"],
            nginx_ingress=charts["nginxIngress"],
            sealed_secrets=charts["sealedSecrets"],
            csi_driver_nfs=charts["csiDriverNfs"],
            jupyterhub=charts["jupyterhub"],
        ),
        expander=str(raw.get("autoscaler", {}).get("expander", DEFAULT_EXPANDER)),
        hub_defaults=dict(raw.get("hubDefaults", {})),
    )
