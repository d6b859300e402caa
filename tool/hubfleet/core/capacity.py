"""Shared layer: what fits on a node. EC2 instance facts from the shipped table, and the one check
that a cluster's hub volumes fit its core nodes (used by the input rules, validate's lint and
`aws preflight`, so all three count and word it alike).

EKS reserves part of every node for the system. The formulas follow the EKS AMI
bootstrap: max pods = ENIs x (IPs per ENI - 1) + 2; kube-reserved memory =
255 MiB + 11 MiB per pod, plus a 100 MiB eviction threshold; kube-reserved CPU =
6% of the first core, 1% of the second, 0.5% of the next two, 0.25% of the rest.
"""

from __future__ import annotations

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
        )
        for name, facts in data_file("instance_types.json")["instanceTypes"].items()
    }


def instance_type(name: str) -> InstanceType | None:
    """Facts about `name`, or None when the shipped table does not know it."""
    return _table().get(name)


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
