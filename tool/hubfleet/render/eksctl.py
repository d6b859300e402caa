"""The eksctl ClusterConfig: the AWS side of a cluster, applied by a person with `eksctl create cluster`.

Unmanaged node groups, because managed ones cannot carry the taints and
pre-bootstrap commands hubs need. The file lives outside every Flux path.
"""

from __future__ import annotations

from typing import Any

from ..model import Cluster, NodeGroup
from ..names import (
    AUTOSCALER_SERVICE_ACCOUNT,
    KUBE_SYSTEM,
    NODE_PURPOSE_LABEL,
    NODEGROUP_ROLE_LABEL,
    ROLE_LABELS,
    USER_TAINT_KEY,
    autoscaler_role_name,
)
from .common import Manifest

#: AL2023 is eksctl's default and the family EKS supports for current Kubernetes versions.
AMI_FAMILY = "AmazonLinux2023"

#: Kernel settings kubelet's protectKernelDefaults insists on; set before kubelet starts.
HARDENING_SYSCTLS = {"vm.overcommit_memory": "1", "kernel.panic": "10", "kernel.panic_on_oops": "1"}
NFS_MODULES = ("nfs", "nfsd")


def _pre_bootstrap(group: NodeGroup) -> list[str]:
    commands = []
    if group.role in ("core", "user"):
        modules = " ".join(NFS_MODULES)
        commands.append(f"printf '%s\\n' {modules} > /etc/modules-load.d/hubfleet-nfs.conf")
        commands += [f"modprobe {module}" for module in NFS_MODULES]
    if group.role in ("tools", "core"):
        lines = " ".join(f"'{key}={value}'" for key, value in HARDENING_SYSCTLS.items())
        commands.append(f"printf '%s\\n' {lines} > /etc/sysctl.d/90-kubelet-hardening.conf")
        commands.append("sysctl --load /etc/sysctl.d/90-kubelet-hardening.conf")
    return commands


def _tags(
    cluster: Cluster, group: NodeGroup, labels: dict[str, str], taint: dict[str, str] | None
) -> dict[str, str]:
    prefix = "k8s.io/cluster-autoscaler"
    tags = {f"{prefix}/enabled": "true", f"{prefix}/{cluster.name}": "owned"}
    if group.scales_from_zero:
        # The autoscaler cannot see labels and taints of a group with no node; these tags tell it.
        for key, value in labels.items():
            tags[f"{prefix}/node-template/label/{key}"] = value
        if taint:
            tags[f"{prefix}/node-template/taint/{taint['key']}"] = f"{taint['value']}:{taint['effect']}"
    return dict(sorted(tags.items()))


def render_node_group(cluster: Cluster, group: NodeGroup) -> dict[str, Any]:
    role_label, purpose = ROLE_LABELS[group.role]
    labels = {NODEGROUP_ROLE_LABEL: role_label}
    if purpose:
        labels = {NODE_PURPOSE_LABEL: purpose, **labels}
    taint = {"key": USER_TAINT_KEY, "value": "user", "effect": "NoSchedule"} if group.role == "user" else None
    node_group: dict[str, Any] = {
        "name": group.name,
        "amiFamily": AMI_FAMILY,
        "instanceType": group.instance_type,
        "minSize": group.min_size,
        "maxSize": group.max_size,
        "desiredCapacity": group.desired_capacity,
        "volumeSize": group.volume_size,
        "volumeType": "gp3",
        "volumeEncrypted": True,
        "availabilityZones": list(group.zones),
        "privateNetworking": True,
        "disableIMDSv1": True,
        "labels": labels,
        "tags": _tags(cluster, group, labels, taint),
        "propagateASGTags": True,
        "preBootstrapCommands": _pre_bootstrap(group),
    }
    if taint:
        node_group["taints"] = [taint]
    if group.role in ("tools", "core"):
        node_group["kubeletExtraConfig"] = {"readOnlyPort": 0, "protectKernelDefaults": True}
    return node_group


def render_cluster_config(cluster: Cluster) -> Manifest:
    return {
        "apiVersion": "eksctl.io/v1alpha5",
        "kind": "ClusterConfig",
        "metadata": {
            "name": cluster.name,
            "region": cluster.region,
            "version": cluster.kubernetes_version,
            "tags": {"managed-by": "hubfleet"},
        },
        "availabilityZones": list(cluster.zones),
        "iam": {
            "withOIDC": True,
            "serviceAccounts": [
                {
                    # eksctl creates only the role; Flux owns the service account and annotates it.
                    "metadata": {"name": AUTOSCALER_SERVICE_ACCOUNT, "namespace": KUBE_SYSTEM},
                    "roleName": autoscaler_role_name(cluster.name),
                    "roleOnly": True,
                    "wellKnownPolicies": {"autoScaler": True},
                }
            ],
        },
        "addons": [
            {
                "name": "aws-ebs-csi-driver",
                "wellKnownPolicies": {"ebsCSIController": True},
                "resolveConflicts": "overwrite",
            },
        ],
        "nodeGroups": [render_node_group(cluster, group) for group in cluster.node_groups],
    }
