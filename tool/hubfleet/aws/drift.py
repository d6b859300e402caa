"""`aws drift`: where AWS no longer matches cluster.yaml, as a list of differences.

Each node group is compared with its Auto Scaling group: sizes, instance type,
zones and the cluster-autoscaler tags hubfleet renders into the ClusterConfig.
Auto Scaling groups tagged for the cluster but absent from the input are drift
too. The cluster autoscaler moves desired capacity at run time, so a different
desired capacity on a group it manages is a note, not drift.

Node groups come in generations (core/names.GENERATION_LABEL): during an upgrade the
input keeps the retiring one beside the current one, and a retiring group is only
checked to exist (it keeps the sizes it was made with, and drains). A generation the
input names but AWS lacks, or an old one AWS still runs after the input retired it, is
drift with the command that ends it; while an older generation still runs and the input
does not retire it, the advice is to rotate first.

Drives and hub databases are EBS volumes and can only attach in their own zone,
so a hub volume outside the core zone is reported as drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.layout import Layout
from ..core.names import (
    AUTOSCALER_TAG_PREFIX,
    DRIVE_CLAIM,
    HUB_DB_CLAIM,
    NODE_GROUP_LABEL,
    UNVERSIONED,
    generation_age,
    split_generation,
)
from ..core.urls import dns_records
from ..inputs.model.cluster import Cluster, NodeGroup
from .backups import plan_policies
from .dns import LoadBalancer, dns_host
from .groups import GroupFacts, cluster_groups, read_group
from .session import aws_errors
from .volumes import cluster_volumes, volume_claim
from .zone import read_zone, record_target

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import VolumeTypeDef
    from mypy_boto3_route53 import Route53Client

Value = str | int | list[str] | None

AUTOSCALER_ENABLED_TAG = f"{AUTOSCALER_TAG_PREFIX}/enabled"


@dataclass(frozen=True)
class Difference:
    """One way AWS differs from the input; `counts` is False for notes that are not drift."""

    subject: str
    field: str
    input: Value
    aws: Value
    resource: str = ""
    note: str = ""
    counts: bool = True

    def __str__(self) -> str:
        where = f" [{self.resource}]" if self.resource else ""
        note = f"; {self.note}" if self.note else ""
        return f"{self.subject}: {self.field}: input {_show(self.input)}, AWS {_show(self.aws)}{where}{note}"

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "field": self.field,
            "input": self.input,
            "aws": self.aws,
            "resource": self.resource,
            "note": self.note,
            "drift": self.counts,
        }


def _show(value: Value) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(value) if value else "none"
    return str(value)


@dataclass(frozen=True)
class DriftReport:
    cluster: str
    source_file: str
    region: str
    account: str
    differences: tuple[Difference, ...]

    @property
    def drift(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.counts)

    @property
    def notes(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if not d.counts)

    @property
    def summary(self) -> str:
        count = len(self.drift)
        if not count:
            return f"{self.cluster}: no drift"
        return f"{self.cluster}: {count} difference{'s' if count != 1 else ''} between {self.source_file} and AWS"

    def describe(self) -> list[str]:
        lines = [f"{self.cluster}: {self.source_file} against AWS account {self.account} in {self.region}"]
        lines += [f"  {difference}" for difference in self.drift]
        lines += [f"  note: {difference}" for difference in self.notes]
        return lines if self.drift else [*lines, self.summary]

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "file": self.source_file,
            "account": self.account,
            "region": self.region,
            "drift": bool(self.drift),
            "differences": [d.to_json() for d in self.drift],
            "notes": [d.to_json() for d in self.notes],
        }


def find_drift(
    cluster: Cluster, account: str, autoscaling: AutoScalingClient, ec2: EC2Client, dlm: Any = None
) -> DriftReport:
    """Compare every node group, hub volume and (with backups) snapshot policy of `cluster` with AWS."""
    groups = cluster_groups(autoscaling, cluster.name)
    aws_names = sorted(groups)
    differences: list[Difference] = []
    config = Layout().eksctl_config(cluster.name)
    for group in cluster.generations:
        found = groups.pop(group.eksctl_name, [])
        subject = f"node group {group.eksctl_name}"
        if not found:
            fix = _missing(
                cluster, group, [n for n in aws_names if split_generation(n)[0] == group.name], config
            )
            differences.append(Difference(subject, "Auto Scaling group", "present", None, note=fix))
        elif len(found) > 1:
            names = [g["AutoScalingGroupName"] for g in found]
            differences.append(
                Difference(subject, "Auto Scaling group", "one", names, note="several groups carry its tags")
            )
        elif group.generation != cluster.retiring:
            facts = read_group(autoscaling, ec2, found[0], group.eksctl_name)
            differences += compare_group(cluster, group, facts)
        # A retiring group only has to exist: it keeps the sizes it was made with, and drains.
    for name, extra in sorted(groups.items()):
        differences.append(_unknown_group(cluster, name, [g["AutoScalingGroupName"] for g in extra], config))
    volumes = cluster_volumes(ec2, cluster.name)
    differences += misplaced_volumes(volumes, cluster)
    differences += orphaned_volumes(volumes, cluster)
    if cluster.backups is not None and dlm is not None:
        differences += policy_drift(dlm, cluster)
    return DriftReport(cluster.name, cluster.source_file, ec2.meta.region_name, account, tuple(differences))


def _missing(cluster: Cluster, group: NodeGroup, in_aws: list[str], config: str) -> str:
    """What to do about a group of the input that AWS lacks."""
    if group.generation == cluster.retiring:
        return f"already deleted: remove nodeGroups.retiring from {cluster.source_file}"
    current = generation_age(cluster.kubernetes_version)
    older = [n for n in in_aws if generation_age(split_generation(n)[1]) < current]
    if older and cluster.retiring is None:
        generation = split_generation(older[0])[1]
        return (f"{', '.join(older)} still runs: rotate first (set nodeGroups.retiring: \"{generation}\", render, then "
                f"`eksctl create nodegroup -f {config} --only-missing`)")  # fmt: skip
    return f"not created: run `eksctl create nodegroup -f {config} --only-missing`"


def _unknown_group(cluster: Cluster, name: str, groups: list[str], config: str) -> Difference:
    """An Auto Scaling group of the cluster that the input does not list: an old generation of one
    of its node groups (left behind by an upgrade, or made before generations), a newer one (made
    from a branch not merged yet), or a group the input never had."""
    if not name:
        return Difference("Auto Scaling group without a node-group tag", "Auto Scaling group", None, groups,
                          note="not in the input")  # fmt: skip
    group, generation = split_generation(name)
    if not any(g.name == group for g in cluster.node_groups):
        return Difference(f"node group {name}", "Auto Scaling group", None, groups, note="not in the input")
    subject, resource = f"node group {name}", ", ".join(groups)
    if generation == UNVERSIONED and cluster.retiring is None:
        note = (f"made before hubfleet named generations: rotate it (set nodeGroups.retiring: {UNVERSIONED}; "
                "README, \"Node-group generations\")")  # fmt: skip
    elif generation_age(generation) > generation_age(cluster.kubernetes_version):
        note = "a newer generation than the input's: made from a branch that is not merged?"
    else:
        note = (f"an old generation the input retired: once no hub pod or server runs on its nodes (`kubectl get "
                f"pods -A -o wide`, `-l {NODE_GROUP_LABEL}={name}` for the nodes), run `eksctl delete nodegroup -f "
                f"{config} --only-missing --approve`")  # fmt: skip
    return Difference(subject, "generation", cluster.kubernetes_version, generation, resource, note)


def compare_group(cluster: Cluster, group: NodeGroup, facts: GroupFacts) -> list[Difference]:
    """Differences between one node group of the input and its Auto Scaling group."""
    subject, resource = f"node group {group.eksctl_name}", facts.name
    differences = [
        Difference(subject, name, want, have, resource)
        for name, want, have in (
            ("minSize", group.min_size, facts.min_size),
            ("maxSize", group.max_size, facts.max_size),
        )
        if want != have
    ]
    if group.desired_capacity != facts.desired_capacity:
        managed = facts.tags.get(AUTOSCALER_ENABLED_TAG) == "true"
        note = "the cluster autoscaler sets it at run time" if managed else ""
        differences.append(
            Difference(
                subject,
                "desiredCapacity",
                group.desired_capacity,
                facts.desired_capacity,
                resource,
                note,
                counts=not managed,
            )
        )
    if facts.instance_types != (group.instance_type,):
        differences.append(
            Difference(subject, "instanceType", group.instance_type, list(facts.instance_types), resource)
        )
    if facts.zones != tuple(sorted(group.zones)):
        differences.append(Difference(subject, "zones", sorted(group.zones), list(facts.zones), resource))
    expected = group.autoscaler_tags(cluster.name)
    actual = facts.autoscaler_tags
    for key in sorted(set(expected) | set(actual)):
        if expected.get(key) != actual.get(key):
            differences.append(
                Difference(subject, f"tag {key}", expected.get(key), actual.get(key), resource)
            )
    return differences


def policy_drift(dlm: Any, cluster: Cluster) -> list[Difference]:
    """Snapshot policies that are missing, or differ from what cluster.yaml and its hubs say."""
    differences = []
    for change in plan_policies(dlm, cluster):
        if change.action != "unchanged":
            differences.append(
                Difference(
                    f"backup policy {change.policy.tag}",
                    "DLM policy",
                    "as cluster.yaml says",
                    "missing" if change.action == "create" else "different",
                    change.policy_id or "",
                    f"run `hubfleet aws backups enable {cluster.name}`",
                )
            )
    return differences


def orphaned_volumes(volumes: list[VolumeTypeDef], cluster: Cluster) -> list[Difference]:
    """Drives and hub databases of a namespace no hub file names: the data is still there (and billed),
    but nothing in git will ever mount it again."""
    hubs = {hub.name for hub in cluster.hubs}
    differences = []
    for volume in volumes:
        namespace, claim = volume_claim(volume)
        if claim in (DRIVE_CLAIM, HUB_DB_CLAIM) and namespace and namespace not in hubs:
            kind = "drive" if claim == DRIVE_CLAIM else "hub database"
            differences.append(
                Difference(
                    f"{kind} of hub {namespace}",
                    "hub file",
                    None,
                    f"{namespace}/{claim}",
                    volume.get("VolumeId", ""),
                    "no hub file names this namespace: restore it with state: retired to keep the data "
                    "reachable, or back the volume up and delete it",
                )
            )
    return sorted(differences, key=lambda d: (d.subject, d.resource))


def misplaced_volumes(volumes: list[VolumeTypeDef], cluster: Cluster) -> list[Difference]:
    """Drives (and hub databases) whose EBS volume is not in the core zone, where their pods must run."""
    hubs = {hub.name for hub in cluster.hubs}
    differences = []
    for volume in volumes:
        namespace, claim = volume_claim(volume)
        zone = volume.get("AvailabilityZone", "")
        if (namespace in hubs or claim == DRIVE_CLAIM) and zone != cluster.core_zone:
            subject = f"drive of hub {namespace}" if claim == DRIVE_CLAIM else f"volume {namespace}/{claim}"
            differences.append(
                Difference(
                    subject,
                    "zone",
                    cluster.core_zone,
                    zone,
                    volume.get("VolumeId", ""),
                    "EBS volumes cannot leave their zone; core nodes run only in the core zone",
                )
            )
    return sorted(differences, key=lambda d: (d.subject, d.resource))


def dns_drift(cluster: Cluster, route53: Route53Client, target: LoadBalancer | None) -> list[Difference]:
    """Each record the URL scheme needs in `hostedZone`, against the ingress load balancer (None: the
    cluster has none yet, so the records are only listed). An alias A record to the load balancer
    counts as pointing there; any other record of that name is drift `aws dns` cannot mend."""
    zone = cluster.hosted_zone
    if zone is None:
        return []
    wanted = dns_host(target.dns_name) if target else None
    found: list[Difference] = []
    with aws_errors(f"reading the records of hosted zone {zone.id}"):
        if read_zone(route53, zone.id) is None:
            note = "no such hosted zone in this account; see `hubfleet aws preflight`"
            return [Difference(f"hosted zone {zone.id}", "exists", "yes", None, note=note)]
        for record in dns_records(cluster.urls, cluster.domain):
            kind, current = record_target(route53, zone.id, record)
            subject = f"DNS {record}"
            if target is None:
                note = "no ingress load balancer yet to compare it with"
                found.append(
                    Difference(subject, kind, None, current, resource=zone.id, note=note, counts=False)
                )
            elif current != wanted:
                fix = (
                    f"`hubfleet aws dns {cluster.name}` points it at the load balancer"
                    if kind == "CNAME"
                    else f"remove that {kind} record, then `hubfleet aws dns {cluster.name}`"
                )
                found.append(Difference(subject, kind, wanted, current, resource=zone.id, note=fix))
    return found
