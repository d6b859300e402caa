"""The Auto Scaling groups eksctl created for a cluster's node groups, found by tag and read as facts.

eksctl tags the CloudFormation stack of every unmanaged node group, and the tags
reach the Auto Scaling group: `alpha.eksctl.io/cluster-name` and
`alpha.eksctl.io/nodegroup-name` (older releases wrote
`eksctl.cluster.k8s.io/v1alpha1/cluster-name` and `eksctl.io/v1alpha2/nodegroup-name`).
Groups are found by these tags only; a name is never guessed. None found or more
than one is an error, because the wrong group must never be scaled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..core.names import AUTOSCALER_TAG_PREFIX, GENERATION_LABEL, UNVERSIONED, split_generation
from ..errors import AwsError
from .session import aws_errors

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient
    from mypy_boto3_autoscaling.type_defs import (
        AutoScalingGroupTypeDef,
        FilterTypeDef,
        LaunchTemplateSpecificationTypeDef,
    )
    from mypy_boto3_ec2 import EC2Client

#: (cluster tag, node-group tag): the current pair first, then the one older eksctl releases wrote.
EKSCTL_TAG_PAIRS = (
    ("alpha.eksctl.io/cluster-name", "alpha.eksctl.io/nodegroup-name"),
    ("eksctl.cluster.k8s.io/v1alpha1/cluster-name", "eksctl.io/v1alpha2/nodegroup-name"),
)


@dataclass(frozen=True)
class GroupFacts:
    """What AWS says about one node group's Auto Scaling group."""

    name: str
    nodegroup: str
    min_size: int
    max_size: int
    desired_capacity: int
    zones: tuple[str, ...]
    instance_types: tuple[str, ...]
    tags: dict[str, str] = field(compare=False)

    @property
    def autoscaler_tags(self) -> dict[str, str]:
        """The tags hubfleet renders for the autoscaler: its own, and the group's generation."""
        return {
            k: v
            for k, v in self.tags.items()
            if k.startswith(f"{AUTOSCALER_TAG_PREFIX}/") or k == GENERATION_LABEL
        }


def tags_of(group: AutoScalingGroupTypeDef) -> dict[str, str]:
    return {tag.get("Key", ""): tag.get("Value", "") for tag in group.get("Tags", [])}


def nodegroup_of(group: AutoScalingGroupTypeDef) -> str | None:
    tags = tags_of(group)
    return next((tags[key] for _, key in EKSCTL_TAG_PAIRS if key in tags), None)


def _describe(autoscaling: AutoScalingClient, filters: list[FilterTypeDef]) -> list[AutoScalingGroupTypeDef]:
    pages = autoscaling.get_paginator("describe_auto_scaling_groups").paginate(Filters=filters)
    return [group for page in pages for group in page["AutoScalingGroups"]]


def _unique(groups: Iterable[AutoScalingGroupTypeDef]) -> list[AutoScalingGroupTypeDef]:
    found: dict[str, AutoScalingGroupTypeDef] = {}
    for group in groups:
        found.setdefault(group["AutoScalingGroupName"], group)
    return [found[name] for name in sorted(found)]


def cluster_groups(autoscaling: AutoScalingClient, cluster: str) -> dict[str, list[AutoScalingGroupTypeDef]]:
    """Every Auto Scaling group eksctl tagged as part of `cluster`, by node-group name."""
    with aws_errors(f"listing the Auto Scaling groups of {cluster}"):
        groups = _unique(
            group
            for cluster_tag, _ in EKSCTL_TAG_PAIRS
            for group in _describe(autoscaling, [{"Name": f"tag:{cluster_tag}", "Values": [cluster]}])
        )
    by_nodegroup: dict[str, list[AutoScalingGroupTypeDef]] = {}
    for group in groups:
        by_nodegroup.setdefault(nodegroup_of(group) or "", []).append(group)
    return by_nodegroup


def find_group(autoscaling: AutoScalingClient, cluster: str, nodegroup: str) -> AutoScalingGroupTypeDef:
    """The one Auto Scaling group eksctl tagged for `nodegroup` of `cluster`, or AwsError."""
    with aws_errors(f"looking up the Auto Scaling group of node group {nodegroup}"):
        groups = _unique(
            group
            for cluster_tag, nodegroup_tag in EKSCTL_TAG_PAIRS
            for group in _describe(
                autoscaling,
                [
                    {"Name": f"tag:{cluster_tag}", "Values": [cluster]},
                    {"Name": f"tag:{nodegroup_tag}", "Values": [nodegroup]},
                ],
            )
        )
    return only_group(groups, cluster, nodegroup, autoscaling.meta.region_name)


def only_group(
    groups: list[AutoScalingGroupTypeDef], cluster: str, nodegroup: str, region: str
) -> AutoScalingGroupTypeDef:
    if not groups:
        cluster_tag, nodegroup_tag = EKSCTL_TAG_PAIRS[0]
        plain, generation = split_generation(nodegroup)
        before = (
            f" (a cluster made before hubfleet named generations calls it {plain} until rotated: README, "
            '"Node-group generations")'
            if generation != UNVERSIONED
            else ""
        )
        raise AwsError(
            f"no Auto Scaling group in {region} is tagged {cluster_tag}={cluster} and "
            f"{nodegroup_tag}={nodegroup}: create the node group with eksctl first{before}"
        )
    if len(groups) > 1:
        names = ", ".join(group["AutoScalingGroupName"] for group in groups)
        raise AwsError(
            f"{len(groups)} Auto Scaling groups are tagged as node group {nodegroup} of {cluster} ({names}); "
            "hubfleet will not guess: delete the stale one or fix its eksctl tags"
        )
    return groups[0]


def read_group(
    autoscaling: AutoScalingClient, ec2: EC2Client, group: AutoScalingGroupTypeDef, nodegroup: str
) -> GroupFacts:
    """Sizes, zones, tags and instance types of one group (instance types via its launch template)."""
    with aws_errors(f"reading Auto Scaling group {group.get('AutoScalingGroupName', '?')}"):
        return _facts(autoscaling, ec2, group, nodegroup)


def _facts(
    autoscaling: AutoScalingClient, ec2: EC2Client, group: AutoScalingGroupTypeDef, nodegroup: str
) -> GroupFacts:
    return GroupFacts(
        name=group["AutoScalingGroupName"],
        nodegroup=nodegroup,
        min_size=group["MinSize"],
        max_size=group["MaxSize"],
        desired_capacity=group["DesiredCapacity"],
        zones=tuple(sorted(group["AvailabilityZones"])),
        instance_types=instance_types(autoscaling, ec2, group),
        tags=tags_of(group),
    )


def instance_types(
    autoscaling: AutoScalingClient, ec2: EC2Client, group: AutoScalingGroupTypeDef
) -> tuple[str, ...]:
    """The instance types a group launches: mixed-instances overrides, launch template, or configuration."""
    spec: LaunchTemplateSpecificationTypeDef | None = group.get("LaunchTemplate")
    policy = group.get("MixedInstancesPolicy")
    if policy is not None:
        template = policy.get("LaunchTemplate", {})
        overrides = {o["InstanceType"] for o in template.get("Overrides", []) if "InstanceType" in o}
        if overrides:
            return tuple(sorted(overrides))
        spec = template.get("LaunchTemplateSpecification")
    if spec is not None:
        return _template_instance_types(ec2, spec)
    if "LaunchConfigurationName" in group:
        name = group["LaunchConfigurationName"]
        with aws_errors(f"reading launch configuration {name}"):
            found = autoscaling.describe_launch_configurations(LaunchConfigurationNames=[name])
        return tuple(sorted({config["InstanceType"] for config in found["LaunchConfigurations"]}))
    return ()


def _template_instance_types(ec2: EC2Client, spec: LaunchTemplateSpecificationTypeDef) -> tuple[str, ...]:
    version = spec.get("Version") or "$Default"
    template = spec.get("LaunchTemplateId") or spec.get("LaunchTemplateName", "")
    with aws_errors(f"reading launch template {template}"):
        if "LaunchTemplateId" in spec:
            found = ec2.describe_launch_template_versions(
                LaunchTemplateId=spec["LaunchTemplateId"], Versions=[version]
            )
        else:
            found = ec2.describe_launch_template_versions(
                LaunchTemplateName=spec.get("LaunchTemplateName", ""), Versions=[version]
            )
    types = {
        str(v["LaunchTemplateData"]["InstanceType"])
        for v in found["LaunchTemplateVersions"]
        if "InstanceType" in v.get("LaunchTemplateData", {})
    }
    return tuple(sorted(types))
