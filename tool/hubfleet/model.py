"""Stage 3, model: frozen, typed objects built only from input that passed the schema.

Every default of the input format lives here, in one place. Later stages read
attributes, never dict keys, so a renamed field is a type error, not a silent None.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
class SealedSecretFile:
    """A sealed secret committed under clusters/<cluster>/secrets/, carried into the tree as is."""

    file_name: str
    source_file: str
    manifest: dict[str, Any] = field(compare=False)


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
    hubs: tuple[Hub, ...] = ()
    sealed_secrets: tuple[SealedSecretFile, ...] = ()

    def node_group(self, role: NodeRole) -> NodeGroup:
        """The main group of a role (tools, core or the first user group)."""
        return next(group for group in self.node_groups if group.role == role)

    @property
    def user_groups(self) -> tuple[NodeGroup, ...]:
        return tuple(group for group in self.node_groups if group.role == "user")

    @property
    def core_volumes(self) -> int:
        """EBS volumes hubs attach to core nodes: a drive each, and a database volume per active hub."""
        return sum(2 if hub.active else 1 for hub in self.hubs)

    def with_inputs(self, hubs: tuple[Hub, ...], sealed: tuple[SealedSecretFile, ...]) -> Cluster:
        return replace(self, hubs=tuple(sorted(hubs, key=lambda h: h.name)), sealed_secrets=sealed)


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


# Hubs -----------------------------------------------------------------------------------------

DEFAULT_IMAGE = ("quay.io/jupyter/scipy-notebook", "2025-11-10")
DEFAULT_CPU = (0.5, 2.0)
DEFAULT_MEMORY = ("1G", "4G")
DEFAULT_CULLING = (True, 3600, 600, 0)
MEMORY_UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def memory_bytes(quantity: str) -> int:
    """KubeSpawner's reading of '4G': powers of 1024."""
    return int(quantity[:-1]) * MEMORY_UNITS[quantity[-1]]


@dataclass(frozen=True)
class Hub:
    """One hub as the renderers see it: hub file merged over the cluster's hubDefaults."""

    name: str
    source_file: str
    state: Literal["active", "retired"]
    drive_size: str
    auth_type: Literal["native", "dummy"]
    admins: tuple[str, ...]
    image_name: str
    image_tag: str
    cpu_guarantee: float
    cpu_limit: float
    memory_guarantee: str
    memory_limit: str
    placeholders: int
    cull_enabled: bool
    cull_timeout: int
    cull_every: int
    cull_max_age: int

    @property
    def active(self) -> bool:
        return self.state == "active"

    @property
    def path(self) -> str:
        return f"/{self.name}/"


def merge_settings(defaults: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: mappings merge key by key, anything else from `own` replaces the default."""
    merged = dict(defaults)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_settings(merged[key], value)
        else:
            merged[key] = value
    return merged


def build_hub(raw: dict[str, Any], source_file: str) -> Hub:
    """Build a Hub from a merged plain dict that passed schemas/hub.schema.json."""
    user = raw.get("user", {})
    image = user.get("image", {})
    cpu = user.get("cpu", {})
    memory = user.get("memory", {})
    cull = raw.get("culling", {})
    return Hub(
        name=raw["name"],
        source_file=source_file,
        state=raw.get("state", "active"),
        drive_size=raw["drive"]["size"],
        auth_type=raw["auth"]["type"],
        admins=tuple(raw["auth"].get("admins", [])),
        image_name=image.get("name", DEFAULT_IMAGE[0]),
        image_tag=image.get("tag", DEFAULT_IMAGE[1]),
        cpu_guarantee=float(cpu.get("guarantee", DEFAULT_CPU[0])),
        cpu_limit=float(cpu.get("limit", DEFAULT_CPU[1])),
        memory_guarantee=memory.get("guarantee", DEFAULT_MEMORY[0]),
        memory_limit=memory.get("limit", DEFAULT_MEMORY[1]),
        placeholders=int(user.get("placeholders", 0)),
        cull_enabled=bool(cull.get("enabled", DEFAULT_CULLING[0])),
        cull_timeout=int(cull.get("timeout", DEFAULT_CULLING[1])),
        cull_every=int(cull.get("every", DEFAULT_CULLING[2])),
        cull_max_age=int(cull.get("maxAge", DEFAULT_CULLING[3])),
    )
