"""The EBS volumes Kubernetes made for a cluster's claims, and which claim each is: `aws drift` and
`aws backups` read them alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .session import aws_errors

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import FilterTypeDef, VolumeTypeDef

#: Tags the EBS CSI driver writes on every volume it makes for a claim.
PVC_NAMESPACE_TAG = "kubernetes.io/created-for/pvc/namespace"
PVC_NAME_TAG = "kubernetes.io/created-for/pvc/name"


def cluster_volumes(ec2: EC2Client, cluster: str) -> list[VolumeTypeDef]:
    """EBS volumes Kubernetes created for claims in `cluster` (either cluster tag the drivers write)."""
    claimed: FilterTypeDef = {"Name": "tag-key", "Values": [PVC_NAME_TAG]}
    queries: list[list[FilterTypeDef]] = [
        [{"Name": "tag:KubernetesCluster", "Values": [cluster]}, claimed],
        [{"Name": f"tag:kubernetes.io/cluster/{cluster}", "Values": ["owned"]}, claimed],
    ]
    volumes: dict[str, VolumeTypeDef] = {}
    with aws_errors(f"listing the EBS volumes of {cluster}"):
        for filters in queries:
            for page in ec2.get_paginator("describe_volumes").paginate(Filters=filters):
                for volume in page["Volumes"]:
                    volumes.setdefault(volume.get("VolumeId", ""), volume)
    return [volumes[key] for key in sorted(volumes)]


def volume_claim(volume: VolumeTypeDef) -> tuple[str, str]:
    """(namespace, claim) the EBS CSI driver tagged a volume with."""
    tags = {tag.get("Key", ""): tag.get("Value", "") for tag in volume.get("Tags", [])}
    return tags.get(PVC_NAMESPACE_TAG, ""), tags.get(PVC_NAME_TAG, "")
