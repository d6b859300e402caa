"""Planning: what a cluster's hubs need from its node groups, and what that costs: `hubfleet plan capacity`
and validate's capacity finding both come from here.

Per node group, the pods it must hold and what they request, against what one node offers
(max pods less the DaemonSets, allocatable CPU and memory, EBS slots, GPUs), give the
nodes needed; headroom is `maxSize` less that. Core nodes hold every hub's core pods
(sizes in core/capacity.py); user groups hold `expectedUsers` servers of each hub's default
server, plus its placeholders; tools nodes hold the cluster's own services. Costs use the
shipped, dated price table (data/prices.json), and say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..core.capacity import (
    ALERTMANAGER_POD,
    CERT_MANAGER_PODS,
    DAEMONSET_PODS,
    DAEMONSET_REQUESTS,
    DASHBOARD_SIDECAR,
    GPU_DAEMONSET_PODS,
    GRAFANA_POD,
    HUB_POD,
    INGRESS_REPLICAS,
    MONITORING_DAEMONSET_PODS,
    NFS_SERVER_POD,
    NODE_EXPORTER_POD,
    PROMETHEUS_POD,
    PROXY_POD,
    STATE_METRICS_POD,
    TOOLS_PODS,
    USER_SCHEDULER_POD,
    USER_SCHEDULER_REPLICAS,
    InstanceType,
    PodSize,
    instance_type,
    size_gib,
)
from ..core.kubernetes import control_plane_per_hour
from ..core.package_data import data_file
from ..inputs.model.cluster import MAIN_USER_GROUP, Cluster, NodeGroup, memory_bytes
from ..system.settings import today

HUB_DB_GIB = 1


@dataclass
class Load:
    """Pods and what they ask for, summed, and the distinct pod sizes with their counts."""

    pods: int = 0
    cpu_m: int = 0
    memory_mib: int = 0
    gpus: int = 0
    sizes: dict[tuple[int, int, int], int] = field(default_factory=dict)

    def add(self, count: int, cpu_m: int, memory_mib: int, gpus: int = 0) -> None:
        if count <= 0:
            return
        self.pods += count
        self.cpu_m += count * cpu_m
        self.memory_mib += count * memory_mib
        self.gpus += count * gpus
        key = (cpu_m, memory_mib, gpus)
        self.sizes[key] = self.sizes.get(key, 0) + count

    def add_pod(self, count: int, size: PodSize) -> None:
        self.add(count, size.cpu_m, size.memory_mib)


@dataclass
class GroupPlan:
    """One node group: its load, what a node holds, the nodes needed and their cost."""

    group: NodeGroup
    facts: InstanceType | None
    load: Load
    daemonsets: int
    volumes: int = 0
    #: Nodes needed by each limit that applies, e.g. {"pods": 2, "memory": 1}.
    needs: dict[str, int] = field(default_factory=dict)
    hourly: float | None = None

    @property
    def pods_per_node(self) -> int | None:
        return self.facts.max_pods - self.daemonsets if self.facts else None

    @property
    def nodes_needed(self) -> int | None:
        return max(self.needs.values(), default=0) if self.facts else None

    @property
    def nodes_billed(self) -> int | None:
        """Nodes that run: what the load needs, but at least minSize."""
        needed = self.nodes_needed
        return None if needed is None else max(needed, self.group.min_size)

    @property
    def headroom(self) -> int | None:
        needed = self.nodes_needed
        return None if needed is None else self.group.max_size - needed

    @property
    def monthly_cost(self) -> float | None:
        billed = self.nodes_billed
        if billed is None or self.hourly is None:
            return None
        return round(billed * self.hourly * hours_per_month(), 2)


@dataclass
class ClusterPlan:
    cluster: Cluster
    groups: list[GroupPlan]
    storage_gib: int
    prices: dict[str, Any]

    @property
    def storage_cost(self) -> float:
        return round(self.storage_gib * float(self.prices["gp3PerGiBMonth"]), 2)

    @property
    def control_plane_cost(self) -> float:
        per_hour = control_plane_per_hour(self.cluster.kubernetes_version, today())
        return round(per_hour * hours_per_month(), 2)

    @property
    def monthly_cost(self) -> float | None:
        costs = [g.monthly_cost for g in self.groups]
        if any(cost is None for cost in costs):
            return None
        return round(sum(c for c in costs if c is not None) + self.storage_cost + self.control_plane_cost, 2)

    @property
    def price_note(self) -> str:
        region = self.prices["region"]
        where = "" if region == self.cluster.region else f" ({self.cluster.region} priced at {region} rates)"
        return f"on-demand prices of {region}, {self.prices['date']}{where}; see data/prices.json for sources"


def prices() -> dict[str, Any]:
    table: dict[str, Any] = data_file("prices.json")
    return table


def hours_per_month() -> int:
    return int(prices()["hoursPerMonth"])


def daemonset_requests(cluster: Cluster) -> PodSize:
    """What DaemonSet pods request on every node: EKS's own, and node-exporter with monitoring."""
    return (
        DAEMONSET_REQUESTS.plus(NODE_EXPORTER_POD) if cluster.monitoring is not None else DAEMONSET_REQUESTS
    )


def _needs(
    load: Load, facts: InstanceType, daemonsets: int, volumes: int, reserved: PodSize
) -> dict[str, int]:
    """Nodes needed by each limit: pods, CPU and memory summed, how many pods of each size fit on
    one node (whole pods: 3 servers of 4G on a node with 15G free, not 3.75), EBS slots, GPUs.
    The node count is the largest; with pods of several sizes it is a lower bound."""
    pods_free = max(1, facts.max_pods - daemonsets)
    cpu_free = max(1, facts.allocatable_millicpu - reserved.cpu_m)
    memory_free = max(1, facts.allocatable_memory_mib - reserved.memory_mib)
    needs = {
        "pods": math.ceil(load.pods / pods_free),
        "cpu": math.ceil(load.cpu_m / cpu_free),
        "memory": math.ceil(load.memory_mib / memory_free),
    }
    packed = 0
    for (cpu_m, memory_mib, gpus), count in load.sizes.items():
        fits = [
            pods_free,
            cpu_free // cpu_m if cpu_m else pods_free,
            memory_free // memory_mib if memory_mib else pods_free,
        ]
        if gpus:
            fits.append(facts.gpus // gpus)
        per_node = min(fits)
        packed = max(packed, math.ceil(count / per_node) if per_node else count)
    if load.sizes:
        needs["packing"] = packed
    if volumes:
        needs["ebs"] = math.ceil(volumes / max(1, facts.drive_slots))
    if load.gpus:
        needs["gpus"] = math.ceil(load.gpus / max(1, facts.gpus))
    return needs


def _loads(cluster: Cluster) -> dict[str, Load]:
    loads = {group.name: Load() for group in cluster.node_groups}
    tools, core = loads[cluster.node_group("tools").name], loads[cluster.node_group("core").name]
    for count, size in TOOLS_PODS.values():
        tools.add_pod(count, size)
    if cluster.tls.mode == "acme":
        for count, size in CERT_MANAGER_PODS.values():
            tools.add_pod(count, size)
    monitoring = cluster.monitoring
    if monitoring is not None:
        for size in (
            PROMETHEUS_POD,
            STATE_METRICS_POD,
            GRAFANA_POD.plus(DASHBOARD_SIDECAR),
        ):
            tools.add_pod(1, size)
        if monitoring.alertmanager:
            tools.add_pod(1, ALERTMANAGER_POD)
    for hub in cluster.hubs:
        core.add_pod(1, NFS_SERVER_POD)
        if not hub.active:
            continue
        core.add_pod(1, HUB_POD)
        core.add_pod(1, PROXY_POD)
        core.add_pod(USER_SCHEDULER_REPLICAS, USER_SCHEDULER_POD)
        server = hub.default_server
        if server.node_group in loads:
            loads[server.node_group].add(
                hub.expected_users,
                int(server.resources.cpu_guarantee * 1000),
                memory_bytes(server.resources.memory_guarantee) // 1024**2,
                server.gpus,
            )
        # Placeholders take the hub's one size on the main user group.
        loads[MAIN_USER_GROUP].add(
            hub.placeholders,
            int(hub.resources.cpu_guarantee * 1000),
            memory_bytes(hub.resources.memory_guarantee) // 1024**2,
        )
    return loads


def plan_cluster(cluster: Cluster) -> ClusterPlan:
    """The capacity plan of one cluster."""
    table = prices()
    loads = _loads(cluster)
    daemonsets = DAEMONSET_PODS + (GPU_DAEMONSET_PODS if any(g.gpus for g in cluster.node_groups) else 0)
    daemonsets += MONITORING_DAEMONSET_PODS if cluster.monitoring is not None else 0
    groups = []
    tools_group = cluster.node_group("tools").name
    for group in cluster.node_groups:
        facts = instance_type(group.instance_type)
        volumes = cluster.core_volumes if group.role == "core" else 0
        if group.name == tools_group and cluster.monitoring is not None:
            # The monitoring volumes attach to tools nodes, which sit in the core zone.
            volumes = len(cluster.monitoring.volume_sizes)
        plan = GroupPlan(group, facts, loads[group.name], daemonsets, volumes)
        if facts is not None:
            plan.needs = _needs(plan.load, facts, daemonsets, volumes, daemonset_requests(cluster))
            if group.role == "tools":
                plan.needs["spread"] = INGRESS_REPLICAS
        plan.hourly = table["instances"].get(group.instance_type)
        groups.append(plan)
    drives = sum(size_gib(hub.drive_size) for hub in cluster.hubs)
    if cluster.monitoring is not None:
        drives += sum(size_gib(size) for size in cluster.monitoring.volume_sizes)
    databases = HUB_DB_GIB * sum(1 for hub in cluster.hubs if hub.active)
    roots = sum((plan.nodes_billed or plan.group.min_size) * plan.group.volume_size for plan in groups)
    return ClusterPlan(cluster, groups, drives + databases + roots, table)


def core_shortfall(plan: ClusterPlan) -> str | None:
    """The finding when the core group at maxSize cannot hold every hub's core pods, with the numbers."""
    core = next(g for g in plan.groups if g.group.role == "core")
    needed, facts = core.nodes_needed, core.facts
    if needed is None or facts is None or needed <= core.group.max_size:
        return None
    hubs = plan.cluster.hubs
    active = sum(1 for hub in hubs if hub.active)
    load = core.load
    reserved = daemonset_requests(plan.cluster)
    limits = ", ".join(f"{name} {count}" for name, count in core.needs.items())
    return (
        f"{active} active and {len(hubs) - active} retired hubs put {load.pods} pods, "
        f"{load.cpu_m / 1000:g} CPUs and {load.memory_mib / 1024:.1f} GiB of requests and {core.volumes} EBS "
        f"volumes on core nodes; a {facts.name} holds {core.pods_per_node} of those pods ({facts.max_pods} "
        f"max pods less {core.daemonsets} DaemonSet pods), "
        f"{(facts.allocatable_millicpu - reserved.cpu_m) / 1000:g} CPUs, "
        f"{facts.allocatable_memory_mib - reserved.memory_mib} MiB and {facts.drive_slots} volumes, "
        f"so {needed} nodes are needed "
        f"(by {limits}) and maxSize is {core.group.max_size}: raise maxSize or use a bigger core instance type"
    )
