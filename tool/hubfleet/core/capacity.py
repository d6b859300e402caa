"""Shared layer: what fits on a node. EC2 instance facts from the shipped table, and the one check
that a cluster's hub volumes fit its core nodes (used by the input rules, validate's lint and
`aws preflight`, so all three count and word it alike).

EKS reserves part of every node for the system. The formulas follow the EKS AMI
bootstrap: max pods = ENIs x (IPs per ENI - 1) + 2; kube-reserved memory =
255 MiB + 11 MiB per pod, plus a 100 MiB eviction threshold; kube-reserved CPU =
6% of the first core, 1% of the second, 0.5% of the next two, 0.25% of the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .package_data import data_file


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpu: int
    memory_mib: int
    max_enis: int
    ipv4_per_eni: int
    ebs_attachment_limit: int
    shared_attachments: bool
    gpus: int = 0
    gpu_memory_mib: int = 0
    #: The k8s.amazonaws.com/accelerator label value of a GPU type ("" for others).
    accelerator: str = ""
    #: Whether eksctl (v0.230.0) knows it as an NVIDIA type and so picks the GPU AMI for it.
    eksctl_nvidia: bool = True

    @property
    def max_pods(self) -> int:
        return self.max_enis * (self.ipv4_per_eni - 1) + 2

    @property
    def allocatable_memory_mib(self) -> int:
        return self.memory_mib - (255 + 11 * self.max_pods) - 100

    @property
    def allocatable_millicpu(self) -> int:
        reserved = 0.0
        for core in range(self.vcpu):
            reserved += 1000 * (0.06 if core == 0 else 0.01 if core == 1 else 0.005 if core < 4 else 0.0025)
        return int(self.vcpu * 1000 - reserved)

    @property
    def drive_slots(self) -> int:
        """EBS volumes one node can attach beside its root volume (and its ENIs, where slots are shared)."""
        used = 1 + (self.max_enis if self.shared_attachments else 0)
        return self.ebs_attachment_limit - used


@cache
def _table() -> dict[str, InstanceType]:
    return {
        name: InstanceType(
            name=name,
            vcpu=facts["vcpu"],
            memory_mib=facts["memoryMiB"],
            max_enis=facts["maxENIs"],
            ipv4_per_eni=facts["ipv4PerENI"],
            ebs_attachment_limit=facts["ebsAttachmentLimit"],
            shared_attachments=facts["sharedAttachments"],
            gpus=facts.get("gpus", 0),
            gpu_memory_mib=facts.get("gpuMemoryMiB", 0),
            accelerator=facts.get("accelerator", ""),
            eksctl_nvidia=facts.get("eksctlNvidia", True),
        )
        for name, facts in data_file("instance_types.json")["instanceTypes"].items()
    }


def instance_type(name: str) -> InstanceType | None:
    """Facts about `name`, or None when the shipped table does not know it."""
    return _table().get(name)


@dataclass(frozen=True)
class PodSize:
    """What one pod asks for (requests) and may use (memory limit)."""

    cpu_m: int
    memory_mib: int
    memory_limit_mib: int

    def plus(self, other: PodSize) -> PodSize:
        """A pod of two containers, as the scheduler counts it."""
        return PodSize(
            self.cpu_m + other.cpu_m,
            self.memory_mib + other.memory_mib,
            self.memory_limit_mib + other.memory_limit_mib,
        )

    def resources(self) -> dict[str, dict[str, str]]:
        """As a container's `resources`."""
        return {
            "requests": {"cpu": f"{self.cpu_m}m", "memory": f"{self.memory_mib}Mi"},
            "limits": {"memory": f"{self.memory_limit_mib}Mi"},
        }


#: Requests and memory limits of the pods every hub runs on core nodes. Chosen for a course hub of
#: a few hundred users (JupyterHub 5 stays well under 512 MiB there, configurable-http-proxy and a
#: kube-scheduler under 128 MiB); not measured on a live cluster here. Limits stop a leak before it
#: takes the node; without requests the pods were BestEffort and the first to be killed.
HUB_POD = PodSize(100, 512, 1024)
PROXY_POD = PodSize(50, 128, 512)
USER_SCHEDULER_POD = PodSize(20, 128, 512)
NFS_SERVER_POD = PodSize(100, 256, 1024)
#: One user-scheduler per hub instead of z2jh's two: it only places new user pods, a restart takes
#: seconds, and the second replica was 1,500 idle pods on a 1,500-hub fleet.
USER_SCHEDULER_REPLICAS = 1
#: calico-node, the policy enforcer on every node (requests set by render/network_policy.py).
CALICO_NODE_POD = PodSize(100, 128, 512)
CALICO_TYPHA_REPLICAS = 2
#: DaemonSet pods on every node (aws-node, kube-proxy, the EBS and the NFS CSI node plugins,
#: calico-node), and the NVIDIA device plugin that eksctl adds to every node of a cluster with a
#: GPU group.
DAEMONSET_PODS = 5
GPU_DAEMONSET_PODS = 1
#: What those DaemonSet pods request on every node, together (aws-node 25m, kube-proxy 100m, the
#: EBS and NFS CSI node plugins about 10m and 80Mi each, calico-node): not left for other pods.
DAEMONSET_REQUESTS = PodSize(150, 160, 0).plus(CALICO_NODE_POD)
#: The monitoring layer's pods on tools nodes (Prometheus's server holds the scraped series in
#: memory; node-exporter is one more DaemonSet pod on every node).
PROMETHEUS_POD = PodSize(250, 1024, 2048)
#: node-exporter, one more DaemonSet pod on every node when a cluster has monitoring.
NODE_EXPORTER_POD = PodSize(10, 32, 64)
STATE_METRICS_POD = PodSize(20, 64, 256)
GRAFANA_POD = PodSize(50, 128, 512)
#: The container in Grafana's pod that loads dashboards from ConfigMaps.
DASHBOARD_SIDECAR = PodSize(10, 64, 256)
ALERTMANAGER_POD = PodSize(20, 64, 256)
MONITORING_DAEMONSET_PODS = 1
#: nginx-ingress replicas, on separate tools nodes, so one node's loss leaves every hub reachable.
INGRESS_REPLICAS = 2
#: Pods of the cluster's own services, counted on tools nodes: CoreDNS (2), EBS CSI controller (2),
#: cluster-autoscaler, sealed-secrets, NFS CSI controller, and nginx-ingress (2).
TOOLS_PODS = {
    "coredns": (2, PodSize(100, 70, 170)),
    "ebs-csi-controller": (2, PodSize(60, 240, 1024)),
    "cluster-autoscaler": (1, PodSize(100, 300, 600)),
    "sealed-secrets": (1, PodSize(50, 64, 256)),
    "csi-nfs-controller": (1, PodSize(30, 60, 400)),
    "nginx-ingress": (INGRESS_REPLICAS, PodSize(100, 128, 512)),
    # Calico in policy-only mode: its operator, Typha (the operator's default of two) and its
    # kube-controllers run on tools nodes (render/network_policy.py sets these requests).
    "tigera-operator": (1, PodSize(50, 128, 512)),
    "calico-typha": (CALICO_TYPHA_REPLICAS, PodSize(50, 128, 512)),
    "calico-kube-controllers": (1, PodSize(20, 64, 256)),
}

#: cert-manager's pods on tools nodes with `tls.mode: acme` (render/certificates.py sets these
#: requests): the controller, its admission webhook and the CA injector. Small, as cert-manager's
#: own sizing guidance gives for a cluster of a few certificates; not measured here.
CERT_MANAGER_PODS = {
    "cert-manager": (1, PodSize(20, 64, 256)),
    "cert-manager-webhook": (1, PodSize(10, 32, 128)),
    "cert-manager-cainjector": (1, PodSize(10, 64, 256)),
}
#: The chart's post-install check (a Job that ends in a minute), sized so its requests are set too.
CERT_MANAGER_CHECK_POD = PodSize(10, 32, 64)


#: A drive size as the hub schema allows it (whole Gi or Ti).
DRIVE_SIZE = re.compile(r"[1-9][0-9]*(Gi|Ti)")


def size_gib(quantity: str) -> int:
    """A drive size (`40Gi`, `2Ti`, as the input schema allows) in GiB."""
    return int(quantity[:-2]) * (1024 if quantity.endswith("Ti") else 1)


def core_volumes(active_hubs: int, retired_hubs: int) -> int:
    """EBS volumes hubs attach to core nodes: a drive each, and a database volume per active hub."""
    return 2 * active_hubs + retired_hubs


@dataclass(frozen=True)
class VolumeFit:
    """Whether `volumes` EBS volumes of `hubs` hubs fit on `nodes` core nodes of `instance`."""

    hubs: int
    volumes: int
    nodes: int
    instance: InstanceType

    @property
    def room(self) -> int:
        return self.nodes * self.instance.drive_slots

    @property
    def fits(self) -> bool:
        return self.volumes <= self.room

    def describe(self) -> str:
        """The finding, worded once for every stage that reports it."""
        text = (
            f"{self.hubs} hubs need {self.volumes} EBS volumes on core nodes (a drive each, and a database "
            f"volume per active hub); {self.nodes} x {self.instance.name} can attach {self.room} "
            f"({self.instance.drive_slots} per node beside its root volume"
            f"{' and network interfaces' if self.instance.shared_attachments else ''})"
        )
        return text if self.fits else f"{text}: raise maxSize or use a bigger core instance type"
