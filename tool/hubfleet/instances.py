"""EC2 instance facts from the shipped table: what fits on a node, and how many drives it can attach.

EKS reserves part of every node for the system. The formulas follow the EKS AMI
bootstrap: max pods = ENIs x (IPs per ENI - 1) + 2; kube-reserved memory =
255 MiB + 11 MiB per pod, plus a 100 MiB eviction threshold; kube-reserved CPU =
6% of the first core, 1% of the second, 0.5% of the next two, 0.25% of the rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


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
    text = resources.files("hubfleet").joinpath("data/instance_types.json").read_text(encoding="utf-8")
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
        for name, facts in json.loads(text)["instanceTypes"].items()
    }


def instance_type(name: str) -> InstanceType | None:
    """Facts about `name`, or None when the shipped table does not know it."""
    return _table().get(name)
