"""The cluster's Route 53 hosted zone (`hostedZone`), as `aws preflight` and `aws drift` see it.

Preflight asks whether the zone exists in this account under the name the input gives, is
public (Let's Encrypt and every browser resolve through public DNS), and is the one the
internet is sent to: as far as AWS can tell, that is the NS record of a parent zone in the
same account, or the name servers of the domain's registration with Route 53 Domains, naming
the zone's own four name servers. A delegation AWS cannot see is a warning that says what to
compare by hand, never a guess.

Drift (aws/drift.py) reads the records the URL scheme needs through `record_values`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ..errors import Diagnostic
from ..inputs.model.cluster import Cluster, HostedZone
from .dns import dns_host
from .preflight import preflight_check
from .session import aws_errors

if TYPE_CHECKING:
    from mypy_boto3_route53 import Route53Client
    from mypy_boto3_route53.literals import RRTypeType


@dataclass(frozen=True)
class ZoneFacts:
    name: str
    private: bool
    name_servers: tuple[str, ...]


def read_zone(route53: Route53Client, zone_id: str) -> ZoneFacts | None:
    """The zone's name, visibility and delegation set; None when the account has no such zone."""
    with aws_errors(f"reading hosted zone {zone_id}"):
        try:
            answer = route53.get_hosted_zone(Id=zone_id)
        except (route53.exceptions.NoSuchHostedZone, route53.exceptions.InvalidInput):
            return None
    zone = answer["HostedZone"]
    servers = answer.get("DelegationSet", {}).get("NameServers", [])
    return ZoneFacts(
        dns_host(zone["Name"]),
        bool(zone.get("Config", {}).get("PrivateZone", False)),
        tuple(sorted(dns_host(server) for server in servers)),
    )


def record_values(route53: Route53Client, zone_id: str, name: str, kind: RRTypeType) -> list[str] | None:
    """The values of the `kind` record `name` in the zone, or None when there is none."""
    answer = route53.list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=name, StartRecordType=kind, MaxItems="1"
    )
    for record in answer["ResourceRecordSets"]:
        if dns_host(record["Name"]) == name and record["Type"] == kind:
            return sorted(dns_host(value["Value"]) for value in record.get("ResourceRecords", []))
    return None


def record_target(route53: Route53Client, zone_id: str, name: str) -> tuple[str, str | None]:
    """What `name` points at in the zone and by which record: ("CNAME", its value), ("A", the alias
    target or its first address) or ("CNAME", None) when there is neither."""
    answer = route53.list_resource_record_sets(HostedZoneId=zone_id, StartRecordName=name, MaxItems="10")
    for record in answer["ResourceRecordSets"]:
        if dns_host(record["Name"]) != name or record["Type"] not in ("CNAME", "A", "AAAA"):
            continue
        alias = record.get("AliasTarget", {}).get("DNSName")
        values = [value["Value"] for value in record.get("ResourceRecords", [])]
        # Route 53 names an alias to a load balancer `dualstack.<its DNS name>`.
        if alias:
            return record["Type"], dns_host(alias).removeprefix("dualstack.")
        return record["Type"], dns_host(values[0]) if values else None
    return "CNAME", None


def _parent_delegation(route53: Route53Client, zone: str) -> tuple[str, list[str] | None] | None:
    """The nearest public zone above `zone` in this account and its NS record for `zone`."""
    labels = zone.split(".")
    for start in range(1, len(labels) - 1):
        parent = ".".join(labels[start:])
        found = route53.list_hosted_zones_by_name(DNSName=parent, MaxItems="1")["HostedZones"]
        for candidate in found:
            if dns_host(candidate["Name"]) == parent and not candidate.get("Config", {}).get("PrivateZone"):
                return parent, record_values(route53, candidate["Id"].split("/")[-1], zone, "NS")
    return None


def _registered_servers(domains: Any, zone: str) -> list[str] | None:
    """The name servers of `zone`'s registration with Route 53 Domains in this account, if it is one."""
    if domains is None:
        return None
    try:
        detail = domains.get_domain_detail(DomainName=zone)
    except ClientError:
        return None  # not registered here (InvalidInput), or Route 53 Domains not allowed
    return sorted(dns_host(server["Name"]) for server in detail.get("Nameservers", []))


def check_hosted_zone(
    cluster: Cluster, zone: HostedZone, route53: Route53Client, domains: Any
) -> list[Diagnostic]:
    """Preflight's checks of the hosted zone; `domains` is a Route 53 Domains client or None."""
    subject = f"hosted zone {zone.id}"
    facts = read_zone(route53, zone.id)
    if facts is None:
        return [
            preflight_check(
                "blocker", subject, f"is not in this account ({cluster.source_file} hostedZone.id)"
            )
        ]
    if facts.name != zone.name:
        return [
            preflight_check(
                "blocker",
                subject,
                f"is {facts.name}, not {zone.name} as {cluster.source_file} says (hostedZone.name)",
            )
        ]
    if facts.private:
        return [
            preflight_check(
                "blocker",
                subject,
                f"{zone.name} is private: Let's Encrypt and users resolve {cluster.domain} publicly",
            )
        ]
    servers = ", ".join(facts.name_servers)
    checks = [preflight_check("ok", subject, f"{zone.name} is public, served by {servers}")]
    with aws_errors(f"reading the delegation of {zone.name}"):
        parent = _parent_delegation(route53, zone.name)
        registered = _registered_servers(domains, zone.name) if parent is None else None
    if parent is not None:
        name, delegated = parent
        if delegated is None:
            checks.append(
                preflight_check(
                    "blocker",
                    subject,
                    f"zone {name} has no NS record for {zone.name}: add one naming {servers}",
                )
            )
        elif delegated != list(facts.name_servers):
            checks.append(
                preflight_check(
                    "blocker",
                    subject,
                    f"zone {name} delegates {zone.name} to {', '.join(delegated)}, not to its servers ({servers})",
                )
            )
        else:
            checks.append(preflight_check("ok", subject, f"zone {name} delegates {zone.name} to it"))
    elif registered is not None:
        if registered != list(facts.name_servers):
            checks.append(
                preflight_check(
                    "blocker",
                    subject,
                    f"the registration of {zone.name} names {', '.join(registered)}, not its servers ({servers})",
                )
            )
        else:
            checks.append(
                preflight_check("ok", subject, f"the registration of {zone.name} names its servers")
            )
    else:
        checks.append(
            preflight_check(
                "warning",
                subject,
                f"AWS cannot tell who delegates {zone.name} (its parent zone and registration are "
                f"elsewhere): check that `dig NS {zone.name}` names {servers}",
            )
        )
    return checks
