"""Stage 3, model: frozen, typed objects built only from input that passed the schema.

Every default of the input format lives here, in one place. Later stages read
attributes, never dict keys, so a renamed field is a type error, not a silent None.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from ...core.auth import auth_sealed_file_name
from ...core.backups import DEFAULT_TIME, Policy
from ...core.capacity import core_volumes, instance_type
from ...core.charts import ACME_CHARTS, MONITORING_CHARTS, UPSTREAM_CHARTS, UpstreamChart
from ...core.names import (
    NGINX_NAMESPACE,
    SLACK_WEBHOOK_KEY,
    SMTP_PASSWORD_KEY,
    UNVERSIONED,
    autoscaler_tags,
    generation_name,
    node_labels,
    node_taints,
)
from ...core.tls import (
    DEFAULT_ACME_ISSUER,
    DEFAULT_TLS_MODE,
    NOT_AFTER_ANNOTATION,
    AcmeIssuer,
    TlsMode,
    parse_not_after,
)
from ...core.urls import DEFAULT_URL_SCHEME, Site, UrlScheme, grafana_site, hub_site
from .auth import Auth, build_auth

NodeRole = Literal["tools", "core", "user"]
OomKill = Literal["process", "container"]

DEFAULT_MAX_UPLOAD_SIZE = "2G"
DEFAULT_BRANCH = "main"
DEFAULT_EXPANDER = "least-waste"


@dataclass(frozen=True)
class SealedSecretFile:
    """A sealed secret committed under clusters/<cluster>/secrets/, carried into the tree as is."""

    file_name: str
    source_file: str
    manifest: dict[str, Any] = field(compare=False)

    @property
    def namespace(self) -> str:
        """The namespace it is sealed for (its strict scope binds it there)."""
        metadata = self.manifest.get("metadata")
        return str(metadata.get("namespace", "")) if isinstance(metadata, dict) else ""

    @property
    def name(self) -> str:
        """The Secret it unseals to (strict scope: the SealedSecret's own name)."""
        metadata = self.manifest.get("metadata")
        return str(metadata.get("name", "")) if isinstance(metadata, dict) else ""

    @property
    def not_after(self) -> datetime | None:
        """The expiry `hubfleet seal tls` recorded for the certificate inside, if it did."""
        metadata = self.manifest.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        text = annotations.get(NOT_AFTER_ANNOTATION) if isinstance(annotations, dict) else None
        return parse_not_after(str(text)) if text else None


@dataclass(frozen=True)
class GrafanaDashboard:
    """A compiled Grafana dashboard: its file stem, title and JSON text."""

    name: str
    title: str
    text: str


@dataclass(frozen=True)
class EmailAlerts:
    to: str
    sender: str
    smarthost: str
    username: str | None


@dataclass(frozen=True)
class Monitoring:
    """Prometheus and Grafana on the cluster's tools nodes, their data on the drive class."""

    retention: str
    storage: str
    grafana_storage: str
    email: EmailAlerts | None = None
    slack_channel: str | None = None

    @property
    def alertmanager(self) -> bool:
        """Alertmanager runs when there is someone to send alerts to; else they show in Prometheus only."""
        return self.email is not None or self.slack_channel is not None

    @property
    def volume_sizes(self) -> tuple[str, ...]:
        """The EBS volumes the layer attaches to tools nodes: Prometheus's, Grafana's, Alertmanager's."""
        return (self.storage, self.grafana_storage) + ((ALERTMANAGER_STORAGE,) if self.alertmanager else ())

    @property
    def receiver_keys(self) -> tuple[str, ...]:
        """The sealed keys the receivers need (the Slack webhook URL, the SMTP password)."""
        keys = (SLACK_WEBHOOK_KEY,) if self.slack_channel else ()
        return keys + ((SMTP_PASSWORD_KEY,) if self.email and self.email.username else ())


DEFAULT_RETENTION = "90d"
DEFAULT_MONITORING_STORAGE = "50Gi"
DEFAULT_GRAFANA_STORAGE = "10Gi"
#: Alertmanager keeps only silences and notification state.
ALERTMANAGER_STORAGE = "1Gi"


@dataclass(frozen=True)
class Restore:
    """A drive restore in progress: a volume made from a snapshot, copied back by a Job."""

    hub: str
    stamp: str
    snapshot: str
    volume: str
    zone: str
    size: str
    user: str | None
    source_file: str


@dataclass(frozen=True)
class NodeGroup:
    """One eksctl node group; `role` decides labels, taints, zones and kubelet hardening.

    `name` is the name people use (cluster.yaml, profiles, `aws scale`); `eksctl_name` adds the
    generation, the Kubernetes minor the group's nodes were made for (core/names.GENERATION_LABEL).
    """

    name: str
    role: NodeRole
    instance_type: str
    min_size: int
    max_size: int
    desired_capacity: int
    volume_size: int
    zones: tuple[str, ...]
    generation: str = UNVERSIONED
    #: What the kernel kills at the memory limit: the process that overran, or the whole container.
    oom_kill: OomKill = "container"
    #: Where the group is written in cluster.yaml (`nodeGroups.extraUser[0]`), for the rules' messages.
    input_path: tuple[str | int, ...] = field(default=(), compare=False)

    @property
    def eksctl_name(self) -> str:
        return generation_name(self.name, self.generation)

    @property
    def scales_from_zero(self) -> bool:
        return self.min_size == 0

    @property
    def gpus(self) -> int:
        """GPUs per node, from the instance table (0 for a type it does not know)."""
        facts = instance_type(self.instance_type)
        return facts.gpus if facts else 0

    @property
    def accelerator(self) -> str:
        facts = instance_type(self.instance_type)
        return facts.accelerator if facts else ""

    @property
    def labels(self) -> dict[str, str]:
        return node_labels(self.role, self.accelerator, self.generation)

    @property
    def taints(self) -> list[dict[str, str]]:
        return node_taints(self.role, self.gpus)

    def autoscaler_tags(self, cluster: str) -> dict[str, str]:
        return autoscaler_tags(
            cluster,
            self.role,
            self.eksctl_name,
            self.scales_from_zero,
            self.gpus,
            self.accelerator,
            self.generation,
        )


@dataclass(frozen=True)
class ChartVersions:
    """The version of every upstream chart: the input's pin, else the tested default."""

    pins: tuple[tuple[str, str], ...]

    @classmethod
    def from_input(cls, raw: dict[str, str]) -> ChartVersions:
        return cls(tuple((c.key, str(raw.get(c.key, c.default_version))) for c in UPSTREAM_CHARTS))

    def of(self, chart: UpstreamChart) -> str:
        return dict(self.pins)[chart.key]


@dataclass(frozen=True)
class HostedZone:
    """The Route 53 hosted zone that holds the cluster's names (`hostedZone`)."""

    id: str
    name: str


@dataclass(frozen=True)
class Tls:
    """Where the served certificate comes from (core/tls.py): sealed by people, or from ACME."""

    mode: TlsMode = DEFAULT_TLS_MODE
    #: Let's Encrypt's contact for the ACME account (expiry notices, policy changes); acme only.
    email: str | None = None
    issuer: AcmeIssuer = DEFAULT_ACME_ISSUER


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
    #: Where hubs and Grafana are served (core/urls.py).
    urls: UrlScheme
    #: Plan risk flags this change takes on purpose (`acknowledge`).
    acknowledged: tuple[str, ...]
    tls: Tls
    hosted_zone: HostedZone | None
    git_url: str
    git_branch: str
    charts: ChartVersions
    expander: str
    hubs: tuple[Hub, ...] = ()
    sealed_secrets: tuple[SealedSecretFile, ...] = ()
    #: The cluster's snapshot policy (None: no backups).
    backups: Policy | None = None
    restores: tuple[Restore, ...] = ()
    monitoring: Monitoring | None = None
    #: The generation still running beside the current one during a rotation (None: no rotation).
    retiring: str | None = None

    def backup_policy(self, hub: Hub) -> Policy | None:
        """The policy of `hub`'s volumes: the cluster's, with the hub's own keep; None if off."""
        if self.backups is None or not hub.backup_enabled:
            return None
        return replace(self.backups, keep=hub.backup_keep or self.backups.keep)

    @property
    def backup_policies(self) -> tuple[Policy, ...]:
        """Every distinct policy the cluster's hubs use, sorted by tag."""
        found = {p.tag: p for p in (self.backup_policy(hub) for hub in self.hubs) if p is not None}
        return tuple(found[tag] for tag in sorted(found))

    @property
    def deployed_charts(self) -> tuple[UpstreamChart, ...]:
        """The upstream charts this cluster runs: every one but the monitoring and ACME layers'
        when those are off."""
        return tuple(
            chart
            for chart in UPSTREAM_CHARTS
            if (self.monitoring is not None or chart not in MONITORING_CHARTS)
            and (self.tls.mode == "acme" or chart not in ACME_CHARTS)
        )

    @property
    def sealed_certificate(self) -> SealedSecretFile | None:
        """The sealed TLS Secret NGINX serves (`tls.mode: sealed`), if one is committed."""
        return next(
            (
                sealed
                for sealed in self.sealed_secrets
                if (sealed.namespace, sealed.name) == (NGINX_NAMESPACE, self.tls_secret_name)
            ),
            None,
        )

    def node_group(self, role: NodeRole) -> NodeGroup:
        """The main group of a role (tools, core or the first user group)."""
        return next(group for group in self.node_groups if group.role == role)

    @property
    def retiring_groups(self) -> tuple[NodeGroup, ...]:
        """The old generation's groups while they drain: the same settings under their old names
        (eksctl never changes an existing unmanaged group, so only the names must match)."""
        if self.retiring is None:
            return ()
        return tuple(replace(group, generation=self.retiring) for group in self.node_groups)

    @property
    def generations(self) -> tuple[NodeGroup, ...]:
        """Every group the ClusterConfig lists: the current generation, then the retiring one."""
        return self.node_groups + self.retiring_groups

    def eksctl_name(self, group: str) -> str:
        """The eksctl name of the current generation of the group people call `group`."""
        return generation_name(group, self.kubernetes_version)

    def hub_site(self, hub: str) -> Site:
        """Where hub `hub` is served (its host, and its path under that host)."""
        return hub_site(self.urls, self.domain, hub)

    @property
    def grafana_site(self) -> Site:
        return grafana_site(self.urls, self.domain)

    @property
    def extra_user_groups(self) -> tuple[NodeGroup, ...]:
        """The groups of nodeGroups.extraUser, in the order they are written (after tools, core, user)."""
        return self.node_groups[3:]

    @property
    def user_groups(self) -> tuple[NodeGroup, ...]:
        return tuple(group for group in self.node_groups if group.role == "user")

    @property
    def core_volumes(self) -> int:
        """EBS volumes hubs attach to core nodes: a drive each, and a database volume per active hub."""
        active = sum(1 for hub in self.hubs if hub.active)
        return core_volumes(active, len(self.hubs) - active)

    def sealed_auth_keys(self, hub: str) -> frozenset[str]:
        """The keys sealed in hub `hub`'s login Secret (clusters/<cluster>/secrets/auth.<hub>...)."""
        name = auth_sealed_file_name(hub)
        for sealed in self.sealed_secrets:
            if sealed.file_name == name:
                data = (sealed.manifest.get("spec") or {}).get("encryptedData") or {}
                return frozenset(str(key) for key in data) if isinstance(data, dict) else frozenset()
        return frozenset()

    def with_inputs(
        self, hubs: tuple[Hub, ...], sealed: tuple[SealedSecretFile, ...], restores: tuple[Restore, ...] = ()
    ) -> Cluster:
        return replace(
            self, hubs=tuple(sorted(hubs, key=lambda h: h.name)), sealed_secrets=sealed, restores=restores
        )


def group_sizes(raw: dict[str, Any]) -> tuple[int, int, int]:
    """(minSize, maxSize, desiredCapacity) of a node group, with their defaults: the one place
    they are declared (desiredCapacity defaults to minSize, minSize to 0)."""
    min_size = int(raw.get("minSize", 0))
    return min_size, int(raw["maxSize"]), int(raw.get("desiredCapacity", min_size))


def _node_group(
    name: str,
    role: NodeRole,
    raw: dict[str, Any],
    zones: tuple[str, ...],
    generation: str,
    input_path: tuple[str | int, ...],
) -> NodeGroup:
    min_size, max_size, desired = group_sizes(raw)
    return NodeGroup(
        generation=generation,
        name=name,
        role=role,
        instance_type=str(raw["instanceType"]),
        min_size=min_size,
        max_size=max_size,
        desired_capacity=desired,
        volume_size=int(raw.get("volumeSize", 30)),
        zones=zones,
        # A notebook's kernel that overruns dies alone; the server and its other kernels live.
        oom_kill=raw.get("oomKill", "process" if role == "user" else "container"),
        input_path=input_path,
    )


def _email_alerts(raw: dict[str, Any] | None) -> EmailAlerts | None:
    if not raw:
        return None
    return EmailAlerts(str(raw["to"]), str(raw["from"]), str(raw["smarthost"]), raw.get("username"))


def build_cluster(raw: dict[str, Any], source_file: str) -> Cluster:
    """Build the model from a plain dict that passed schemas/cluster.schema.json."""
    zones = tuple(raw["zones"])
    core_zone = str(raw["coreZone"])
    groups, version = raw["nodeGroups"], str(raw["kubernetesVersion"])
    node_groups = [
        _node_group("tools", "tools", groups["tools"], (core_zone,), version, ("nodeGroups", "tools")),
        _node_group("core", "core", groups["core"], (core_zone,), version, ("nodeGroups", "core")),
        _node_group("user", "user", groups["user"], zones, version, ("nodeGroups", "user")),
    ]
    node_groups += [
        _node_group(extra["name"], "user", extra, zones, version, ("nodeGroups", "extraUser", index))
        for index, extra in enumerate(groups.get("extraUser", []))
    ]
    ingress = raw.get("ingress", {})
    flux = raw["flux"]
    name = str(raw["name"])
    return Cluster(
        name=name,
        source_file=source_file,
        region=str(raw["region"]),
        account_id=str(raw["accountId"]),
        kubernetes_version=version,
        domain=str(raw["domain"]).lower(),
        zones=zones,
        core_zone=core_zone,
        node_groups=tuple(node_groups),
        retiring=str(groups["retiring"]) if "retiring" in groups else None,
        max_upload_size=str(ingress.get("maxUploadSize", DEFAULT_MAX_UPLOAD_SIZE)),
        tls_secret_name=str(ingress.get("tlsSecretName", f"{name.lower()}-tls")),
        urls=raw.get("urls", DEFAULT_URL_SCHEME),
        acknowledged=tuple(raw.get("acknowledge", [])),
        tls=Tls(
            raw.get("tls", {}).get("mode", DEFAULT_TLS_MODE),
            raw.get("tls", {}).get("email"),
            raw.get("tls", {}).get("issuer", DEFAULT_ACME_ISSUER),
        ),
        hosted_zone=HostedZone(
            str(raw["hostedZone"]["id"]), str(raw["hostedZone"]["name"]).lower().rstrip(".")
        )
        if "hostedZone" in raw
        else None,
        git_url=str(flux["url"]),
        git_branch=str(flux.get("branch", DEFAULT_BRANCH)),
        charts=ChartVersions.from_input(raw.get("charts", {})),
        expander=str(raw.get("autoscaler", {}).get("expander", DEFAULT_EXPANDER)),
        monitoring=Monitoring(
            str(raw["monitoring"].get("retention", DEFAULT_RETENTION)),
            str(raw["monitoring"].get("storage", DEFAULT_MONITORING_STORAGE)),
            DEFAULT_GRAFANA_STORAGE,
            email=_email_alerts(raw["monitoring"].get("alerts", {}).get("email")),
            slack_channel=raw["monitoring"].get("alerts", {}).get("slack", {}).get("channel"),
        )
        if raw.get("monitoring", {}).get("enabled", True) and "monitoring" in raw
        else None,
        backups=Policy(
            name,
            str(raw["backups"]["schedule"]),
            str(raw["backups"].get("time", DEFAULT_TIME)),
            int(raw["backups"]["keep"]),
        )
        if "backups" in raw
        else None,
    )


# Hubs -----------------------------------------------------------------------------------------

MEMORY_UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def memory_bytes(quantity: str) -> int:
    """KubeSpawner's reading of '4G': powers of 1024."""
    return int(quantity[:-1]) * MEMORY_UNITS[quantity[-1]]


@dataclass(frozen=True)
class Image:
    name: str
    tag: str


@dataclass(frozen=True)
class Resources:
    """What each user server is guaranteed and limited to (KubeSpawner's cpu and memory)."""

    cpu_guarantee: float
    cpu_limit: float
    memory_guarantee: str
    memory_limit: str


@dataclass(frozen=True)
class Culling:
    """JupyterHub's idle culler: stop servers idle `timeout` s, checked every `every` s; `max_age`
    0 means servers may run as long as they are used."""

    enabled: bool
    timeout: int
    every: int
    max_age: int
    kernels: KernelCulling


@dataclass(frozen=True)
class KernelCulling:
    """Jupyter server's own culler inside each server: kernels idle `idle_timeout` s (0: never)
    are shut down, those open in a browser tab too when `connected`."""

    idle_timeout: int
    connected: bool


DEFAULT_IMAGE = Image("quay.io/jupyter/scipy-notebook", "2025-11-10")
DEFAULT_RESOURCES = Resources(cpu_guarantee=0.5, cpu_limit=2.0, memory_guarantee="1G", memory_limit="4G")
DEFAULT_KERNEL_CULLING = KernelCulling(idle_timeout=3600, connected=True)
DEFAULT_CULLING = Culling(enabled=True, timeout=3600, every=600, max_age=0, kernels=DEFAULT_KERNEL_CULLING)


@dataclass(frozen=True)
class SpawnTimeouts:
    """Seconds a server may take: to a running pod (`start`: a node from zero and a large image
    pull fit), then to a Jupyter server that answers (`http`)."""

    start: int
    http: int


DEFAULT_SPAWN = SpawnTimeouts(start=600, http=120)


def build_resources(user: dict[str, Any], base: Resources = DEFAULT_RESOURCES) -> Resources:
    """`cpu` and `memory` of a hub's `user` (or of a profile) over `base` (also used by the rules)."""
    cpu, memory = user.get("cpu", {}), user.get("memory", {})
    return Resources(
        cpu_guarantee=float(cpu.get("guarantee", base.cpu_guarantee)),
        cpu_limit=float(cpu.get("limit", base.cpu_limit)),
        memory_guarantee=str(memory.get("guarantee", base.memory_guarantee)),
        memory_limit=str(memory.get("limit", base.memory_limit)),
    )


#: The node group a hub without profiles runs its users on.
MAIN_USER_GROUP = "user"


@dataclass(frozen=True)
class Profile:
    """One server choice of a hub (z2jh profileList entry)."""

    name: str
    display_name: str
    description: str
    default: bool
    node_group: str
    resources: Resources
    gpus: int
    images: tuple[Image, ...]
    #: The size of /dev/shm as a memory volume (KubeSpawner units), None for the container's own.
    shared_memory: str | None = None
    #: JupyterHub groups that see the profile (empty: everyone).
    groups: tuple[str, ...] = ()


def shared_memory_size(raw: Any, default: str | None) -> str | None:
    """A `sharedMemory` value: a size, `off` (None), or absent (the default)."""
    if raw is None:
        return default
    return None if raw == "off" else str(raw)


def build_profiles(
    raw: list[dict[str, Any]], base: Resources, image: Image, shared_memory: str | None = None
) -> tuple[Profile, ...]:
    """A hub's profiles; each takes the hub's user size, image and /dev/shm where it gives none
    (a GPU profile's /dev/shm is its memory limit: data loaders feed the GPU through it)."""
    return tuple(
        Profile(
            name=str(entry["name"]),
            display_name=str(entry.get("displayName", entry["name"])),
            description=str(entry.get("description", "")),
            default=bool(entry.get("default", False)),
            node_group=str(entry["nodeGroup"]),
            resources=build_resources(entry, base),
            gpus=int(entry.get("gpus", 0)),
            images=tuple(Image(str(i["name"]), str(i["tag"])) for i in entry.get("images", [])) or (image,),
            shared_memory=shared_memory_size(
                entry.get("sharedMemory"),
                build_resources(entry, base).memory_limit if entry.get("gpus") else shared_memory,
            ),
            groups=tuple(entry.get("groups", [])),
        )
        for entry in raw
    )


@dataclass(frozen=True)
class Hub:
    """One hub as the renderers see it: hub file merged over the cluster's hubDefaults."""

    name: str
    source_file: str
    state: Literal["active", "retired"]
    drive_size: str
    auth: Auth
    image: Image
    resources: Resources
    placeholders: int
    culling: Culling
    profiles: tuple[Profile, ...] = ()
    spawn: SpawnTimeouts = DEFAULT_SPAWN
    expected_users: int = 0
    #: `lowPorts.reason`: why user pods may bind ports below 1024 (None: they may not).
    low_ports_reason: str | None = None
    #: `<drive>/_shared`: read-only for users at ~/shared, read-write for admins.
    shared: bool = True
    backup_enabled: bool = True
    backup_keep: int | None = None
    #: /dev/shm of the hub's user server (KubeSpawner units), None for the container's own.
    shared_memory: str | None = None
    #: SQLite databases a server writes (IPython history, file IDs, collaboration) under /tmp.
    local_databases: bool = True

    @property
    def active(self) -> bool:
        return self.state == "active"

    @property
    def path(self) -> str:
        return f"/{self.name}/"

    @property
    def default_server(self) -> Profile:
        """What a user gets without choosing: the default profile, or the hub's one size."""
        chosen = next((p for p in self.profiles if p.default), None)
        if chosen is not None:
            return chosen
        return Profile("default", "default", "", True, MAIN_USER_GROUP, self.resources, 0, (self.image,))

    @property
    def auth_type(self) -> str:
        return self.auth.type

    @property
    def admins(self) -> tuple[str, ...]:
        return self.auth.admins


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
    cull = raw.get("culling", {})
    kernels = cull.get("kernels", {})
    shared_memory = shared_memory_size(user.get("sharedMemory"), None)
    resources = build_resources(user)
    user_image = Image(str(image.get("name", DEFAULT_IMAGE.name)), str(image.get("tag", DEFAULT_IMAGE.tag)))
    return Hub(
        name=raw["name"],
        source_file=source_file,
        state=raw.get("state", "active"),
        drive_size=raw["drive"]["size"],
        auth=build_auth(raw["auth"]),
        image=user_image,
        resources=resources,
        placeholders=int(user.get("placeholders", 0)),
        culling=Culling(
            enabled=bool(cull.get("enabled", DEFAULT_CULLING.enabled)),
            timeout=int(cull.get("timeout", DEFAULT_CULLING.timeout)),
            every=int(cull.get("every", DEFAULT_CULLING.every)),
            max_age=int(cull.get("maxAge", DEFAULT_CULLING.max_age)),
            kernels=KernelCulling(
                idle_timeout=int(kernels.get("idleTimeout", DEFAULT_KERNEL_CULLING.idle_timeout)),
                connected=bool(kernels.get("connected", DEFAULT_KERNEL_CULLING.connected)),
            ),
        ),
        profiles=build_profiles(raw.get("profiles", []), resources, user_image, shared_memory),
        shared_memory=shared_memory,
        local_databases=bool(user.get("localDatabases", True)),
        expected_users=int(raw.get("expectedUsers", 0)),
        low_ports_reason=str(raw["lowPorts"]["reason"]) if isinstance(raw.get("lowPorts"), dict) else None,
        shared=bool(raw["drive"].get("shared", True)),
        backup_enabled=bool(raw.get("backups", {}).get("enabled", True)),
        backup_keep=raw.get("backups", {}).get("keep"),
        spawn=SpawnTimeouts(
            start=int(raw.get("spawn", {}).get("startTimeout", DEFAULT_SPAWN.start)),
            http=int(raw.get("spawn", {}).get("httpTimeout", DEFAULT_SPAWN.http)),
        ),
    )
