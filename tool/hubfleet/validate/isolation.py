"""Lint: every pod is under enforced network policy, and no drive answers outside its VPC.

Two things must hold in the rendered tree. Calico enforces the cluster's NetworkPolicies on every
pod (enforcement.py; the VPC CNI's own agent skips KubeSpawner's ownerless user pods, so it does
not count). And each drive admits only its cluster's VPC (`spec.values.clients`, which feeds both
the export's client list and the drive's NetworkPolicy); that no pod inside the VPC opens a drive
is Calico's drive policy (render/network_policy.py), and the reachability check proves it from
the expanded objects.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..core.names import VPC_CIDR
from .enforcement import enforcement_model
from .lint import ClusterLint, get, is_drive, release_values

#: What each incomplete enforcement leaves open, and the way out.
NOT_ENFORCED = {
    "vpc-cni": "the VPC CNI's agent enforces NetworkPolicies only on pods with an owner, and KubeSpawner's "
    "user pods have none, so no policy holds for any notebook; Calico must enforce them (the tigera-operator "
    "release `hubfleet render` writes)",
    "none": "nothing enforces NetworkPolicies (no tigera-operator release with the VPC CNI as its CNI, no "
    "VPC CNI enableNetworkPolicy), so every drive, hub and monitoring server is open to every pod; Calico "
    "must enforce them (the tigera-operator release `hubfleet render` writes)",
}


def _inside(clients: Any, vpc: str) -> bool:
    try:
        return ipaddress.ip_network(str(clients)).subnet_of(ipaddress.ip_network(vpc))  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return False


def check_drive_isolation(lint: ClusterLint) -> None:
    config = lint.config
    check = f"isolation:{lint.cluster.name}"
    lint.tally.checked(check)
    if config is None:
        return
    vpc = str(get(config.data, "vpc", "cidr") or VPC_CIDR)
    model = enforcement_model(lint.objects, config)
    if model.engine != "calico":
        lint.fail(check, config, ("addons",), f"addons: {NOT_ENFORCED[model.engine]}")
    for drive in filter(is_drive, lint.objects):
        clients = release_values(drive).get("clients")
        if not _inside(clients, vpc):
            lint.fail(
                check,
                drive,
                ("spec", "values", "clients"),
                f"spec.values.clients: {clients} is not inside the cluster's VPC {vpc}; the drive would "
                "answer addresses outside the cluster",
            )
