"""The smaller cluster services: sealed-secrets controller, NFS CSI driver, drive StorageClass."""

from __future__ import annotations

from ..core.capacity import TOOLS_PODS
from ..core.charts import CSI_DRIVER_NFS, SEALED_SECRETS
from ..core.names import (
    DRIVE_STORAGE_CLASS,
    NODEGROUP_ROLE_LABEL,
    PRUNE_DISABLED,
    ROLE_LABELS,
    SEALED_SECRETS_CONTROLLER,
)
from ..inputs.model.cluster import Cluster
from .common import NO_ESCALATION, Manifest, metadata, upstream_release

TOOLS_SELECTOR = {NODEGROUP_ROLE_LABEL: ROLE_LABELS["tools"][0]}


def render_sealed_secrets_controller(cluster: Cluster) -> Manifest:
    values = {
        # kubeseal looks for this name in kube-system by default.
        "fullnameOverride": SEALED_SECRETS_CONTROLLER,
        "nodeSelector": TOOLS_SELECTOR,
        # The sealing key is brought by the operator (hubfleet keys new) and committed as a
        # certificate; automatic renewal would make the committed certificate stale.
        "keyrenewperiod": "0",
        "resources": TOOLS_PODS["sealed-secrets"][1].resources(),
        # The chart's own context (uid 1001, read-only root, no capabilities) and no escalation.
        "containerSecurityContext": {
            "enabled": True,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 1001,
            **NO_ESCALATION,
        },
    }
    return upstream_release(SEALED_SECRETS, cluster.charts.of(SEALED_SECRETS), values, crds=True)


def render_nfs_csi_driver(cluster: Cluster) -> Manifest:
    """The NFS CSI driver lets unprivileged hub pods mount drives by their cluster DNS name."""
    values = {
        "controller": {"replicas": 1, "nodeSelector": TOOLS_SELECTOR},
        # The node plugin must run wherever hub pods run, user nodes (tainted) included.
        "node": {"tolerations": [{"operator": "Exists"}]},
        "externalSnapshotter": {"enabled": False},
        # With the File policy kubelet would chown the whole shared export, every user's files,
        # to the pod's fsGroup on each mount.
        "feature": {"enableFSGroupPolicy": False},
    }
    return upstream_release(CSI_DRIVER_NFS, cluster.charts.of(CSI_DRIVER_NFS), values)


def render_drive_storage_class(cluster: Cluster) -> Manifest:
    """EBS gp3 volumes for drives: kept when released, and only ever in the core zone."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": metadata(DRIVE_STORAGE_CLASS, annotations=PRUNE_DISABLED),
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"},
        "reclaimPolicy": "Retain",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
        "allowedTopologies": [
            {"matchLabelExpressions": [{"key": "topology.kubernetes.io/zone", "values": [cluster.core_zone]}]}
        ],
    }
