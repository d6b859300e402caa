"""`hubfleet aws backups`: tag hub volumes, keep their snapshot policies in AWS as git says, report
how fresh the snapshots are.

Why Data Lifecycle Manager rather than AWS Backup: hub data is EBS volumes only, DLM makes
plain EBS snapshots (restorable with `create-volume`, no vault, no recovery points to copy
out), it costs nothing beyond the snapshots, and it selects volumes by tag, which the EBS
CSI driver and `backups tag` give every hub volume. It needs one IAM role,
`AWSDataLifecycleManagerDefaultRole` (made once per account by `aws dlm create-default-role`).
One policy per (cluster, schedule, keep): its target tag is the `hubfleet/backup` value of
the volumes it covers, so a hub that keeps more snapshots has its own policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..core.backups import (
    CLAIM_KINDS,
    DLM_ROLE,
    TAG_BACKUP,
    TAG_CLUSTER,
    Policy,
    volume_tags,
)
from ..core.names import aws_partition
from ..inputs.model.cluster import Cluster
from .session import aws_errors
from .volumes import cluster_volumes, volume_claim

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import SnapshotTypeDef

#: DLM policy descriptions start with this, so hubfleet finds its own policies.
POLICY_PREFIX = "hubfleet"


@dataclass(frozen=True)
class Retag:
    """The tags one volume lacks (or has wrong), to be set."""

    volume: str
    hub: str
    kind: str
    tags: dict[str, str]


def plan_tags(ec2: EC2Client, cluster: Cluster) -> list[Retag]:
    """Every hub volume of `cluster` whose tags differ from what they should be."""
    hubs = {hub.name: hub for hub in cluster.hubs}
    changes = []
    for volume in cluster_volumes(ec2, cluster.name):
        namespace, claim = volume_claim(volume)
        kind = CLAIM_KINDS.get(claim)
        if kind is None or namespace not in hubs:
            continue
        wanted = volume_tags(cluster.name, namespace, kind, cluster.backup_policy(hubs[namespace]))
        have = {tag.get("Key", ""): tag.get("Value", "") for tag in volume.get("Tags", [])}
        missing = {key: value for key, value in wanted.items() if have.get(key) != value}
        if missing:
            changes.append(Retag(volume.get("VolumeId", ""), namespace, kind, missing))
    return sorted(changes, key=lambda r: (r.hub, r.kind, r.volume))


def apply_tags(ec2: EC2Client, changes: list[Retag]) -> None:
    for change in changes:
        with aws_errors(f"tagging volume {change.volume}"):
            ec2.create_tags(
                Resources=[change.volume],
                Tags=[{"Key": k, "Value": v} for k, v in sorted(change.tags.items())],
            )


# Status --------------------------------------------------------------------------------------------


@dataclass
class VolumeStatus:
    hub: str
    kind: str
    volume: str
    policy: Policy | None
    snapshots: list[SnapshotTypeDef] = field(default_factory=list)

    @property
    def latest(self) -> SnapshotTypeDef | None:
        done = [s for s in self.snapshots if s.get("State") == "completed"]
        return max(done, key=lambda s: s["StartTime"]) if done else None

    def age(self, now: datetime) -> timedelta | None:
        latest = self.latest
        return now - latest["StartTime"] if latest else None

    def stale(self, now: datetime) -> bool:
        """No completed snapshot younger than twice the schedule (a missed run, or none yet)."""
        if self.policy is None:
            return False
        age = self.age(now)
        return age is None or age > timedelta(hours=2 * self.policy.interval_hours)

    def to_json(self, now: datetime) -> dict[str, Any]:
        latest, age = self.latest, self.age(now)
        return {
            "hub": self.hub,
            "kind": self.kind,
            "volume": self.volume,
            "policy": self.policy.tag if self.policy else None,
            "snapshots": len(self.snapshots),
            "latest": latest.get("SnapshotId") if latest else None,
            "latestSizeGiB": latest.get("VolumeSize") if latest else None,
            "ageHours": round(age.total_seconds() / 3600, 1) if age is not None else None,
            "stale": self.stale(now),
        }

    def describe(self, now: datetime) -> str:
        subject = f"{self.hub} {self.kind} ({self.volume})"
        if self.policy is None:
            return f"  -        {subject}: not backed up (the hub opted out, or the cluster has no backups)"
        latest, age = self.latest, self.age(now)
        if latest is None or age is None:
            return f"  STALE    {subject}: no snapshot yet ({self.policy.tag})"
        hours = age.total_seconds() / 3600
        status = "STALE   " if self.stale(now) else "OK      "
        return (
            f"  {status} {subject}: latest {latest.get('SnapshotId')} {hours:.1f} h old, "
            f"{latest.get('VolumeSize')} GiB; {len(self.snapshots)} kept ({self.policy.tag})"
        )


def backup_status(ec2: EC2Client, cluster: Cluster, hub: str | None = None) -> list[VolumeStatus]:
    """Per hub volume (of one hub, or all), its policy and snapshots."""
    hubs = {h.name: h for h in cluster.hubs}
    found = []
    for volume in cluster_volumes(ec2, cluster.name):
        namespace, claim = volume_claim(volume)
        kind = CLAIM_KINDS.get(claim)
        if kind is None or namespace not in hubs or (hub is not None and namespace != hub):
            continue
        volume_id = volume.get("VolumeId", "")
        with aws_errors(f"listing the snapshots of {volume_id}"):
            pages = ec2.get_paginator("describe_snapshots").paginate(
                OwnerIds=["self"], Filters=[{"Name": "volume-id", "Values": [volume_id]}]
            )
            snapshots = [snapshot for page in pages for snapshot in page["Snapshots"]]
        found.append(
            VolumeStatus(namespace, kind, volume_id, cluster.backup_policy(hubs[namespace]), snapshots)
        )
    return sorted(found, key=lambda s: (s.hub, s.kind, s.volume))


# Policies (Data Lifecycle Manager) -----------------------------------------------------------------


def policy_document(policy: Policy) -> dict[str, Any]:
    """The DLM policy details for `policy`: EBS snapshots of volumes tagged with its tag."""
    interval = {"hourly": (1, "HOURS"), "daily": (24, "HOURS"), "weekly": (1, "WEEKS")}[policy.schedule]
    rule: dict[str, Any] = {"Interval": interval[0], "IntervalUnit": interval[1]}
    if policy.schedule != "hourly":
        rule["Times"] = [policy.time]
    if policy.schedule == "weekly":
        rule = {"CronExpression": f"cron({policy.time[3:]} {policy.time[:2]} ? * SUN *)"}
    return {
        "PolicyType": "EBS_SNAPSHOT_MANAGEMENT",
        "ResourceTypes": ["VOLUME"],
        "TargetTags": [{"Key": TAG_BACKUP, "Value": policy.tag}],
        "Schedules": [
            {
                "Name": f"{policy.schedule}-{policy.keep}",
                "CopyTags": True,
                "TagsToAdd": [{"Key": TAG_CLUSTER, "Value": policy.cluster}],
                "CreateRule": rule,
                "RetainRule": {"Count": policy.keep},
            }
        ],
    }


def policy_description(policy: Policy) -> str:
    return f"{POLICY_PREFIX} {policy.tag}"


def role_arn(account: str, region: str) -> str:
    return f"arn:{aws_partition(region)}:iam::{account}:role/{DLM_ROLE}"


@dataclass(frozen=True)
class PolicyChange:
    """Create, update or leave one policy; `policy_id` is set for existing ones."""

    action: str
    policy: Policy
    policy_id: str | None = None

    def describe(self) -> str:
        where = f" ({self.policy_id})" if self.policy_id else ""
        return f"  {self.action:<9}DLM policy {policy_description(self.policy)}{where}"


def existing_policies(dlm: Any, cluster: str) -> dict[str, dict[str, Any]]:
    """hubfleet's DLM policies of `cluster`, by description, with their details."""
    found: dict[str, dict[str, Any]] = {}
    with aws_errors("listing the Data Lifecycle Manager policies"):
        summaries = dlm.get_lifecycle_policies(TagsToAdd=[f"{TAG_CLUSTER}={cluster}"])["Policies"]
        for summary in summaries:
            description = str(summary.get("Description", ""))
            if description.startswith(f"{POLICY_PREFIX} {cluster}-"):
                details = dlm.get_lifecycle_policy(PolicyId=summary["PolicyId"])["Policy"]
                found[description] = details
    return found


def _ours(details: Any) -> dict[str, Any]:
    """The parts of a policy hubfleet sets; DLM fills in others (locations, policy language)."""
    details = details if isinstance(details, dict) else {}
    schedules = [s for s in details.get("Schedules") or [] if isinstance(s, dict)]
    create_keys = ("Interval", "IntervalUnit", "Times", "CronExpression")
    return {
        "ResourceTypes": details.get("ResourceTypes"),
        "TargetTags": details.get("TargetTags"),
        "Schedules": [
            {
                "CreateRule": {k: v for k, v in (s.get("CreateRule") or {}).items() if k in create_keys},
                "RetainRule": {"Count": (s.get("RetainRule") or {}).get("Count")},
                "CopyTags": s.get("CopyTags"),
                "TagsToAdd": s.get("TagsToAdd"),
            }
            for s in schedules
        ],
    }


def plan_policies(dlm: Any, cluster: Cluster) -> list[PolicyChange]:
    existing = existing_policies(dlm, cluster.name)
    changes = []
    for policy in cluster.backup_policies:
        current = existing.get(policy_description(policy))
        if current is None:
            changes.append(PolicyChange("create", policy))
        elif (
            _ours(current.get("PolicyDetails")) != _ours(policy_document(policy))
            or current.get("State") != "ENABLED"
        ):
            changes.append(PolicyChange("update", policy, str(current["PolicyId"])))
        else:
            changes.append(PolicyChange("unchanged", policy, str(current["PolicyId"])))
    return changes


def apply_policies(dlm: Any, changes: list[PolicyChange], account: str, region: str) -> None:
    for change in changes:
        details = policy_document(change.policy)
        description = policy_description(change.policy)
        with aws_errors(f"writing DLM policy {description}"):
            if change.action == "create":
                dlm.create_lifecycle_policy(
                    ExecutionRoleArn=role_arn(account, region),
                    Description=description,
                    State="ENABLED",
                    PolicyDetails=details,
                    Tags={TAG_CLUSTER: change.policy.cluster},
                )
            elif change.action == "update":
                dlm.update_lifecycle_policy(
                    PolicyId=change.policy_id,
                    ExecutionRoleArn=role_arn(account, region),
                    State="ENABLED",
                    Description=description,
                    PolicyDetails=details,
                )
