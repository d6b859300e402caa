"""The eksctl ClusterConfig: the AWS side of a cluster, applied by a person with `eksctl create cluster`.

Unmanaged node groups, because managed ones cannot carry the taints and
pre-bootstrap commands hubs need. The file lives outside every Flux path.
"""

from __future__ import annotations

import json
from typing import Any

from ..core.backups import TAG_BACKUP, TAG_CLUSTER
from ..core.kubernetes import minor
from ..core.names import (
    AUTOSCALER_SERVICE_ACCOUNT,
    CERT_MANAGER_NAMESPACE,
    KUBE_SYSTEM,
    VPC_CIDR,
    VPC_CNI_ADDON,
    VPC_CNI_VERSION,
    autoscaler_role_name,
    aws_partition,
)
from ..core.tls import CERT_MANAGER_SERVICE_ACCOUNT, cert_manager_role_name, route53_policy
from ..inputs.model.cluster import Cluster, NodeGroup
from .common import Manifest

#: An add-on's version for eksctl: the newest EKS offers for the cluster's Kubernetes minor. Without
#: a version, `eksctl update addon` keeps the installed one, so nothing would follow an upgrade.
ADDON_LATEST = "latest"
#: AL2023 is eksctl's default and the family EKS supports for current Kubernetes versions.
AMI_FAMILY = "AmazonLinux2023"

#: The first Kubernetes minor whose kubelet has singleProcessOOMKill (on cgroup v2, as AL2023 is,
#: kubelet otherwise has the kernel kill every process of a container that passes its limit).
SINGLE_PROCESS_OOM_KILL = 32

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


def render_node_group(cluster: Cluster, group: NodeGroup) -> dict[str, Any]:
    labels = group.labels
    taints = group.taints
    node_group: dict[str, Any] = {
        "name": group.eksctl_name,
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
        "tags": group.autoscaler_tags(cluster.name),
        "propagateASGTags": True,
        "preBootstrapCommands": _pre_bootstrap(group),
    }
    if taints:
        node_group["taints"] = taints
    kubelet: dict[str, Any] = {}
    if group.role in ("tools", "core"):
        kubelet = {"readOnlyPort": 0, "protectKernelDefaults": True}
    if group.oom_kill == "process" and minor(cluster.kubernetes_version) >= SINGLE_PROCESS_OOM_KILL:
        kubelet["singleProcessOOMKill"] = True
    if kubelet:
        node_group["kubeletExtraConfig"] = kubelet
    return node_group


def birth_tags(cluster: Cluster) -> dict[str, str]:
    tags = {TAG_CLUSTER: cluster.name}
    if cluster.backups is not None:
        tags[TAG_BACKUP] = cluster.backups.tag
    return tags


def service_account_roles(cluster: Cluster) -> list[dict[str, Any]]:
    """IAM roles for service accounts (IRSA). eksctl creates only the roles; Flux owns the
    service accounts and annotates them with the role (render/autoscaler.py, render/certificates.py)."""
    roles: list[dict[str, Any]] = [
        {
            "metadata": {"name": AUTOSCALER_SERVICE_ACCOUNT, "namespace": KUBE_SYSTEM},
            "roleName": autoscaler_role_name(cluster.name),
            "roleOnly": True,
            "wellKnownPolicies": {"autoScaler": True},
        }
    ]
    zone = cluster.hosted_zone
    if cluster.tls.mode == "acme" and zone is not None:
        roles.append(
            {
                "metadata": {"name": CERT_MANAGER_SERVICE_ACCOUNT, "namespace": CERT_MANAGER_NAMESPACE},
                "roleName": cert_manager_role_name(cluster.name),
                "roleOnly": True,
                # Only the DNS-01 TXT record of the domain, in the one hosted zone (core/tls.py).
                "attachPolicy": route53_policy(aws_partition(cluster.region), zone.id, cluster.domain),
            }
        )
    return roles


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
        "vpc": {"cidr": VPC_CIDR},
        "iam": {"withOIDC": True, "serviceAccounts": service_account_roles(cluster)},
        "addons": [
            {
                # Addresses and routes only: Calico enforces every NetworkPolicy, on every pod
                # (render/network_policy.py says why the VPC CNI's own enforcement is off).
                "name": VPC_CNI_ADDON,
                "version": VPC_CNI_VERSION,
                "attachPolicyARNs": [
                    f"arn:{aws_partition(cluster.region)}:iam::aws:policy/AmazonEKS_CNI_Policy"
                ],
                # ANNOTATE_POD_IP: Calico reads a new pod's address from the annotation at once
                # instead of waiting for kubelet to report it (seconds in which the pod's traffic waits).
                "configurationValues": json.dumps(
                    {"enableNetworkPolicy": "false", "env": {"ANNOTATE_POD_IP": "true"}}
                ),
                "resolveConflicts": "overwrite",
            },
            {
                "name": "aws-ebs-csi-driver",
                "version": ADDON_LATEST,
                "wellKnownPolicies": {"ebsCSIController": True},
                # Tags at birth on every volume the driver makes: the cluster, and the cluster's
                # snapshot policy (a hub that keeps more, or opts out, is retagged by
                # `hubfleet aws backups tag`). StorageClass tag parameters would need a new class:
                # a class's parameters cannot change, and every drive's claim names its class.
                "configurationValues": json.dumps({"controller": {"extraVolumeTags": birth_tags(cluster)}}),
                "resolveConflicts": "overwrite",
            },
            # Listed (at ADDON_LATEST) so that `eksctl update addon -f` moves them with the control plane. eksctl makes
            # them EKS add-ons anyway; its old `utils update-kube-proxy/-coredns` no longer apply.
            {"name": "kube-proxy", "version": ADDON_LATEST, "resolveConflicts": "overwrite"},
            {"name": "coredns", "version": ADDON_LATEST, "resolveConflicts": "overwrite"},
        ],
        # During an upgrade the retiring generation stays listed, so `--only-missing` keeps it.
        "nodeGroups": [render_node_group(cluster, group) for group in cluster.generations],
    }
