"""Lint: no drive answers anything but NFS from its own cluster's nodes.

Two things must hold in the rendered tree. The cluster enforces NetworkPolicies (the VPC
CNI add-on with `enableNetworkPolicy`, in the eksctl file): without it, every drive's
policy is ignored. And each drive admits only its cluster's VPC (`spec.values.clients`,
which feeds both the export's client list and the drive's NetworkPolicy). Pods share the
VPC's subnets, so no address rule can keep them out; the drive chart's export does that
(`secure`: reserved source ports only, which no notebook can use), and the chart tests
check it.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from ruamel.yaml.error import YAMLError

from ..core.names import VPC_CIDR, VPC_CNI_ADDON
from ..core.yaml_reader import load_one
from .lint import ClusterLint, get, is_drive, release_values


def _configuration(value: Any) -> dict[str, Any]:
    """An add-on's configurationValues (a JSON or YAML string), or {}."""
    if not isinstance(value, str):
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        try:
            parsed = load_one(value)
        except YAMLError:
            return {}
    return parsed if isinstance(parsed, dict) else {}


def enforces_policies(config: dict[str, Any]) -> bool:
    addons = config.get("addons")
    return any(
        isinstance(addon, dict)
        and addon.get("name") == VPC_CNI_ADDON
        and str(_configuration(addon.get("configurationValues")).get("enableNetworkPolicy")).lower() == "true"
        for addon in (addons if isinstance(addons, list) else [])
    )


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
    if not enforces_policies(config.data):
        lint.fail(
            check,
            config,
            ("addons",),
            f'addons: no {VPC_CNI_ADDON} add-on with enableNetworkPolicy "true"; without it the cluster '
            "ignores every drive's NetworkPolicy",
        )
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
