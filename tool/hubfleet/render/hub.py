"""One hub: its namespace, its NFS drive (our chart) and its JupyterHub (zero-to-jupyterhub).

A retired hub keeps its namespace and drive, so its users' data stays. Namespace
and drive carry Flux's prune-disabled annotation: deleting a hub file can never
delete a drive through Flux garbage collection.
"""

from __future__ import annotations

from typing import Any

from ..core.auth import GRADERS
from ..core.capacity import HUB_POD, NFS_SERVER_POD, PROXY_POD, USER_SCHEDULER_POD, USER_SCHEDULER_REPLICAS
from ..core.charts import JUPYTERHUB, KUBE_SCHEDULER_IMAGE, KUBE_SCHEDULER_TAGS
from ..core.layout import DRIVE_FILE, JUPYTERHUB_FILE, Layout
from ..core.names import (
    DRIVE_CHART,
    DRIVE_RELEASE,
    DRIVE_STORAGE_CLASS,
    GIT_REPOSITORY,
    HELM_KEEP,
    HOME_CLAIM,
    INGRESS_CLASS,
    MERGEABLE_TYPE,
    PRUNE_DISABLED,
    VPC_CIDR,
)
from ..inputs.model.cluster import Cluster, Hub
from .auth import AuthValues, auth_values
from .check import check_service
from .common import Manifest, helm_release, namespace, upstream_release
from .course_roles import graders_role, profile_groups_filter
from .home import HOME_MOUNT, SHARED_HOOK, home_owner, shared_admin_hook, shared_mount
from .monitoring_access import prometheus_may_scrape
from .notebook import SHM_VOLUME, extra_files, shm_mount, shm_volume
from .profiles import node_selector, profile_list

HUB_DB_SIZE = "1Gi"
#: A namespaced, safe sysctl (allowed by every kubelet since Kubernetes 1.22): ports below it
#: need CAP_NET_BIND_SERVICE, which a user's server does not have.
LOW_PORTS_SYSCTL = {"name": "net.ipv4.ip_unprivileged_port_start", "value": "1024"}
#: The hub's own port (z2jh's hub Service `http`), where /hub/metrics is served.
HUB_PORT = 8081
#: hub.extraConfig key of the profile filter by group (named so it runs after z2jh sets the list).
PROFILE_GROUPS = "hubfleet-profile-groups"


def render_hub_namespace(hub: Hub) -> Manifest:
    return namespace(hub.name, annotations=PRUNE_DISABLED)


def render_drive(cluster: Cluster, hub: Hub, layout: Layout) -> Manifest:
    """The drive release. Its chart is the one hubfleet ships, rendered into the fleet's tree
    (render/charts.py); it reconciles on the chart's version (Flux's default ChartVersion
    strategy): an unrelated commit upgrades no drive."""
    values = {
        "size": hub.drive_size,
        "clients": VPC_CIDR,
        "resources": NFS_SERVER_POD.resources(),
        "storageClassName": DRIVE_STORAGE_CLASS,
        "zone": cluster.core_zone,
        "nodePurpose": "core",
        "homeClaim": {"name": HOME_CLAIM},
    }
    return helm_release(
        DRIVE_RELEASE,
        hub.name,
        layout.chart_source(DRIVE_CHART),
        None,
        "GitRepository",
        GIT_REPOSITORY,
        values,
        annotations=PRUNE_DISABLED,
    )


def _hub_values(cluster: Cluster, hub: Hub, login: AuthValues) -> dict[str, Any]:
    config = login.config
    if cluster.monitoring is not None:
        # Prometheus scrapes /hub/metrics (the hub Service's scrape annotations) without a token;
        # the metrics are counts and durations, no names or secrets.
        config = {**config, "JupyterHub": {**config["JupyterHub"], "authenticate_prometheus": False}}
    # z2jh has no value for it: KubeSpawner's wait for the started server to answer.
    spawner: dict[str, Any] = {**config.get("KubeSpawner", {}), "http_timeout": hub.spawn.http}
    if hub.low_ports_reason is None:
        # Merged by KubeSpawner into the pod's securityContext (fsGroup stays): no notebook can bind
        # a port below 1024, so none can pass for a privileged NFS client of any drive.
        spawner["pod_security_context"] = {"sysctls": [LOW_PORTS_SYSCTL]}
    config = {**config, "KubeSpawner": spawner}
    # Not cookie_host_prefix_enabled: a __Host- cookie must have Path=/, and every user's server
    # is under /user/<name>/ of the hub's host, so the hub's login cookie would reach them all.
    # JupyterHub recommends the prefix only with a host per user (subdomain_host); hubfleet gives a
    # host per hub, which keeps the hub's cookies from other hubs and Grafana, at /hub/ as before.
    values: dict[str, Any] = {
        "baseUrl": cluster.hub_site(hub.name).path,
        "config": config,
        # The hub database lives on its own small volume in the core zone. Its claim outlives the
        # release: retiring the hub uninstalls JupyterHub, and re-activating it finds the same
        # database (the volume is Retain as well, so even a deleted claim leaves the data).
        "db": {
            "pvc": {"storageClassName": DRIVE_STORAGE_CLASS, "storage": HUB_DB_SIZE, "annotations": HELM_KEEP}
        },
        "resources": HUB_POD.resources(),
    }
    if cluster.monitoring is not None:
        # The hub's own NetworkPolicy admits only its proxy; let the cluster's Prometheus read
        # /hub/metrics too (the failed-spawn alert), and nothing else from that namespace.
        values["networkPolicy"] = {"ingress": [prometheus_may_scrape(HUB_PORT)]}
    graders = graders_role(hub.auth)
    if graders is not None:
        # z2jh's hub.loadRoles, a map by name (merged into JupyterHub's load_roles).
        values["loadRoles"] = {GRADERS: graders}
    extra_config = {**login.extra_config, **({SHARED_HOOK: shared_admin_hook()} if hub.shared else {})}
    if any(profile.groups for profile in hub.profiles):
        extra_config[PROFILE_GROUPS] = profile_groups_filter({p.name: p.groups for p in hub.profiles})
    if extra_config:
        values["extraConfig"] = extra_config
    if login.volumes:
        values["extraVolumes"] = login.volumes
        values["extraVolumeMounts"] = login.mounts
    return {**values, **check_service(cluster, hub)[0]}


def _storage(hub: Hub) -> dict[str, Any]:
    """The home, and the extra mounts of every server (by name: z2jh merges them into a dict)."""
    volumes = {SHM_VOLUME: shm_volume(hub.shared_memory)} if hub.shared_memory else {}
    mounts = {"shared": shared_mount()} if hub.shared else {}
    if hub.shared_memory:
        mounts[SHM_VOLUME] = shm_mount()
    return {
        "type": "static",
        "static": {"pvcName": HOME_CLAIM, "subPath": "{username}"},
        "homeMountPath": HOME_MOUNT,
        **({"extraVolumes": volumes} if volumes else {}),
        **({"extraVolumeMounts": mounts} if mounts else {}),
    }


#: Seconds NGINX waits for the next bytes from a hub: the spawn's progress stream and idle kernel
#: websockets stay open across it (NGINX's own 60 s cut both).
PROXY_READ_TIMEOUT = "3600s"


def hub_ingress(cluster: Cluster, hub: Hub) -> dict[str, Any]:
    """z2jh's `ingress` values: with `urls: path`, a minion of the cluster's master Ingress (TLS is
    the master's, minions must not carry it); with `urls: host`, an Ingress of its own for the
    hub's host, TLS from the controller's wildcard certificate (no secret named here)."""
    site = cluster.hub_site(hub.name)
    host = cluster.urls == "host"
    annotations = {} if host else {MERGEABLE_TYPE: "minion"}
    return {
        "enabled": True,
        "ingressClassName": INGRESS_CLASS,
        "hosts": [site.host],
        "pathType": "Prefix",
        "annotations": {
            **annotations,
            "nginx.org/websocket-services": "proxy-public",
            # The spawn page follows an event stream: buffered, it arrives only at the end.
            # NGINX Inc lets minions set both (neither is in its minion deny-list).
            "nginx.org/proxy-buffering": "false",
            "nginx.org/proxy-read-timeout": PROXY_READ_TIMEOUT,
        },
        "tls": [{"hosts": [site.host]}] if host else [],
    }


def jupyterhub_values(cluster: Cluster, hub: Hub, login: AuthValues) -> dict[str, Any]:
    return {
        "hub": _hub_values(cluster, hub, login),
        "proxy": {"service": {"type": "ClusterIP"}, "chp": {"resources": PROXY_POD.resources()}},
        "ingress": hub_ingress(cluster, hub),
        "scheduling": {
            # kube-scheduler must match the API server's minor (the chart's default is 1.30).
            "userScheduler": {
                "enabled": True,
                "replicas": USER_SCHEDULER_REPLICAS,
                "resources": USER_SCHEDULER_POD.resources(),
                "image": {
                    "name": KUBE_SCHEDULER_IMAGE,
                    "tag": KUBE_SCHEDULER_TAGS[cluster.kubernetes_version],
                },
            },
            "podPriority": {"enabled": True},
            "userPlaceholder": {"enabled": hub.placeholders > 0, "replicas": hub.placeholders},
            "corePods": {"nodeAffinity": {"matchNodePurpose": "require"}},
            "userPods": {"nodeAffinity": {"matchNodePurpose": "require"}},
        },
        "singleuser": {
            "image": {"name": hub.image.name, "tag": hub.image.tag},
            "cpu": {"guarantee": hub.resources.cpu_guarantee, "limit": hub.resources.cpu_limit},
            "memory": {"guarantee": hub.resources.memory_guarantee, "limit": hub.resources.memory_limit},
            "storage": _storage(hub),
            "extraFiles": extra_files(hub),
            "initContainers": [home_owner(hub.shared)],
            "startTimeout": hub.spawn.start,
            # Servers (and placeholders) run on the main user group unless a profile names another.
            "nodeSelector": node_selector(cluster),
            **({"profileList": profile_list(cluster, hub)} if hub.profiles else {}),
        },
        "cull": {
            "enabled": hub.culling.enabled,
            "timeout": hub.culling.timeout,
            "every": hub.culling.every,
            "maxAge": hub.culling.max_age,
        },
        # The pre-pull hook makes every upgrade wait for images on all nodes (Flux would time out);
        # the continuous puller is a DaemonSet per hub, which would fill user nodes' pod slots.
        "prePuller": {"hook": {"enabled": False}, "continuous": {"enabled": False}},
    }


def render_jupyterhub(cluster: Cluster, hub: Hub) -> Manifest:
    login = auth_values(cluster, hub)
    return upstream_release(
        JUPYTERHUB,
        cluster.charts.of(JUPYTERHUB),
        jupyterhub_values(cluster, hub, login),
        namespace=hub.name,
        depends_on=[{"name": DRIVE_RELEASE}],
        release_name=hub.name,
        values_from=[*login.values_from, *check_service(cluster, hub)[1]],
    )


def render_hub_files(cluster: Cluster, hub: Hub, layout: Layout) -> dict[str, list[Manifest]]:
    """File name -> documents for the hub's folder; a retired hub has no JupyterHub."""
    drive = render_drive(cluster, hub, layout)
    files = {"namespace.yaml": [render_hub_namespace(hub)], DRIVE_FILE: [drive]}
    if hub.active:
        files[JUPYTERHUB_FILE] = [render_jupyterhub(cluster, hub)]
    return files
