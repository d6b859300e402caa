"""`aws preflight`: what would make `eksctl create cluster` fail or leave hubs unschedulable, asked of EC2.

Checks, each ok, warning or blocker: the cluster's zones exist in the region;
every node group's instance type is offered in each zone it is placed in; the
core instance type can attach the EBS volumes of the cluster's hubs; and, with
`hostedZone`, the hosted zone (aws/zone.py, asked of Route 53). Attachment
limits come from the EC2 API where it gives them (EbsInfo.MaximumEbsAttachments),
else from the shipped table.

Credentials of another account than the cluster's are refused before any of this
(exit 2, as for every aws command), not reported as a blocker: the answers would
describe the wrong account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

from botocore.exceptions import ClientError

from ..core.capacity import InstanceType, VolumeFit, instance_type
from ..errors import Diagnostic, Severity
from ..inputs.model.cluster import Cluster, NodeGroup
from .session import Identity, aws_errors

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.literals import InstanceTypeType
    from mypy_boto3_ec2.type_defs import InstanceTypeInfoTypeDef

Status = Literal["ok", "warning", "blocker"]
#: Each preflight status as a Diagnostic's severity: a blocker is an error, a passed check news.
SEVERITY_OF: dict[Status, Severity] = {"ok": "info", "warning": "warning", "blocker": "error"}
STATUS_OF: dict[Severity, Status] = {severity: status for status, severity in SEVERITY_OF.items()}


def preflight_check(status: Status, subject: str, message: str) -> Diagnostic:
    """One preflight check: what was looked at (`subject`), what AWS said, and whether it blocks."""
    return Diagnostic("", subject=subject, message=message, severity=SEVERITY_OF[status])


def check_line(check: Diagnostic) -> str:
    """`BLOCKER  zone us-west-2a: is impaired`, as the preflight report prints a check."""
    return f"{STATUS_OF[check.severity].upper():<8} {check.subject}: {check.message}"


@dataclass(frozen=True)
class PreflightReport:
    cluster: str
    region: str
    checks: tuple[Diagnostic, ...]

    @property
    def blockers(self) -> tuple[Diagnostic, ...]:
        return tuple(check for check in self.checks if check.severity == "error")

    @property
    def summary(self) -> str:
        count = len(self.blockers)
        if not count:
            return f"{self.cluster}: no blockers"
        return (
            f"{self.cluster}: {count} blocker{'s' if count != 1 else ''}; fix before `eksctl create cluster`"
        )

    def describe(self) -> list[str]:
        lines = [
            f"preflight of {self.cluster} in {self.region}:",
            *(f"  {check_line(check)}" for check in self.checks),
        ]
        return lines if self.blockers else [*lines, self.summary]


def check_zones(cluster: Cluster, available: dict[str, str]) -> list[Diagnostic]:
    """`available`: zone name -> state, as describe_availability_zones reports them for the region."""
    checks = []
    for zone in cluster.zones:
        state = available.get(zone)
        if state is None:
            known = ", ".join(sorted(available)) or "none"
            checks.append(
                preflight_check("blocker", f"zone {zone}", f"does not exist in {cluster.region} ({known})")
            )
        elif state != "available":
            checks.append(preflight_check("blocker", f"zone {zone}", f"is {state}"))
        else:
            checks.append(preflight_check("ok", f"zone {zone}", "exists and is available"))
    return checks


def check_offerings(cluster: Cluster, offered: set[tuple[str, str]], zones: set[str]) -> list[Diagnostic]:
    """Every (instance type, zone) a node group is placed in must be in `offered`; unknown zones are skipped."""
    checks = []
    for group in cluster.node_groups:
        missing = [z for z in group.zones if z in zones and (group.instance_type, z) not in offered]
        subject = f"node group {group.name}"
        if missing:
            where = ", ".join(missing)
            checks.append(
                preflight_check("blocker", subject, f"{group.instance_type} is not offered in {where}")
            )
        else:
            checks.append(
                preflight_check(
                    "ok", subject, f"{group.instance_type} is offered in {', '.join(group.zones)}"
                )
            )
    return checks


def check_attachments(
    core: NodeGroup, facts: InstanceType | None, source: str, hubs: int, volumes: int
) -> Diagnostic:
    """Blocker if `volumes` EBS volumes of `hubs` hubs do not fit on maxSize core nodes of this type."""
    subject = f"node group {core.name}"
    if facts is None:
        return preflight_check(
            "warning", subject, f"cannot check EBS attachments: {core.instance_type} is unknown"
        )
    fit = VolumeFit(hubs, volumes, core.max_size, facts)
    return preflight_check("ok" if fit.fits else "blocker", subject, f"{fit.describe()} [{source}]")


def attachment_facts(info: InstanceTypeInfoTypeDef | None, name: str) -> tuple[InstanceType | None, str]:
    """Facts for `name`: EC2's answer where it gives an attachment limit, else the shipped table."""
    table = instance_type(name)
    limit = (info or {}).get("EbsInfo", {}).get("MaximumEbsAttachments")
    if info is None or limit is None:
        return table, "shipped table"
    network = info.get("NetworkInfo", {})
    limit_type = info.get("EbsInfo", {}).get("AttachmentLimitType")
    shared = limit_type == "shared" if limit_type else (table.shared_attachments if table else True)
    facts = InstanceType(
        name=name,
        vcpu=info.get("VCpuInfo", {}).get("DefaultVCpus", table.vcpu if table else 0),
        memory_mib=info.get("MemoryInfo", {}).get("SizeInMiB", table.memory_mib if table else 0),
        max_enis=network.get("MaximumNetworkInterfaces", table.max_enis if table else 0),
        ipv4_per_eni=network.get("Ipv4AddressesPerInterface", table.ipv4_per_eni if table else 0),
        ebs_attachment_limit=limit,
        shared_attachments=shared,
    )
    return facts, "EC2 API"


def run_preflight(cluster: Cluster, identity: Identity, ec2: EC2Client) -> PreflightReport:
    """Ask EC2 about zones, offerings and the core instance type; no call changes anything.

    `identity` must have passed `session.require_account` for the cluster.
    """
    types = sorted({group.instance_type for group in cluster.node_groups})
    with aws_errors(f"reading the availability zones of {cluster.region}"):
        zones = {
            zone.get("ZoneName", ""): zone.get("State", "")
            for zone in ec2.describe_availability_zones()["AvailabilityZones"]
        }
    with aws_errors("reading instance type offerings"):
        pages = ec2.get_paginator("describe_instance_type_offerings").paginate(
            LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": types}]
        )
        offered = {
            (str(o.get("InstanceType", "")), o.get("Location", ""))
            for p in pages
            for o in p["InstanceTypeOfferings"]
        }
    core = cluster.node_group("core")
    with aws_errors(f"describing instance type {core.instance_type}"):
        try:
            wanted = cast("list[InstanceTypeType]", [core.instance_type])
            found = ec2.describe_instance_types(InstanceTypes=wanted)["InstanceTypes"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "InvalidInstanceType":
                raise
            found = []
    facts, source = attachment_facts(found[0] if found else None, core.instance_type)
    checks = [
        preflight_check(
            "ok", "account", f"credentials are for {identity.account}, as {cluster.source_file} says"
        ),
        *check_zones(cluster, zones),
        *check_offerings(cluster, offered, set(zones)),
        check_attachments(core, facts, source, len(cluster.hubs), cluster.core_volumes),
    ]
    return PreflightReport(cluster.name, cluster.region, tuple(checks))
