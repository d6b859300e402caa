"""`aws dns`: point the cluster's hostnames at the load balancer of its ingress controller: the
domain, or with `urls: host` the wildcard `*.<domain>` that every hub's and Grafana's host is under.

Kubernetes creates the load balancer for the nginx-ingress Service and tags it:
the in-tree AWS cloud provider with `kubernetes.io/service-name=<ns>/<service>`
and `kubernetes.io/cluster/<cluster>=owned`, the AWS Load Balancer Controller
with `service.k8s.aws/stack=<ns>/<service>` and `elbv2.k8s.aws/cluster=<cluster>`.
The Service is rendered as an NLB (elbv2); classic ELBs are found too. The record
is an UPSERT of a CNAME, and nothing is sent when it already points there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.names import NGINX_NAMESPACE
from ..errors import AwsError, InputError, UsageError
from ..inputs.model.cluster import Cluster
from .session import aws_errors

if TYPE_CHECKING:
    from mypy_boto3_elb import ElasticLoadBalancingClient
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client
    from mypy_boto3_route53 import Route53Client

SERVICE_TAGS = ("kubernetes.io/service-name", "service.k8s.aws/stack")
INGRESS_SERVICE = f"{NGINX_NAMESPACE}/nginx-ingress"
TTL = 300
TAG_BATCH = 20


@dataclass(frozen=True)
class LoadBalancer:
    name: str
    dns_name: str
    kind: str


def is_ingress_load_balancer(tags: dict[str, str], cluster: str) -> bool:
    """Tagged by Kubernetes for the nginx-ingress Service of `cluster`."""
    service = next((tags[key] for key in SERVICE_TAGS if key in tags), "")
    owned = tags.get(f"kubernetes.io/cluster/{cluster}") in ("owned", "shared")
    return service.startswith(INGRESS_SERVICE) and (owned or tags.get("elbv2.k8s.aws/cluster") == cluster)


def _batches(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), TAG_BATCH):
        yield items[start : start + TAG_BATCH]


def _network_load_balancers(elbv2: ElasticLoadBalancingv2Client, cluster: str) -> list[LoadBalancer]:
    with aws_errors("listing load balancers (elbv2)"):
        found = {
            lb["LoadBalancerArn"]: lb
            for page in elbv2.get_paginator("describe_load_balancers").paginate()
            for lb in page["LoadBalancers"]
            if "LoadBalancerArn" in lb
        }
        matches = []
        for batch in _batches(sorted(found)):
            for description in elbv2.describe_tags(ResourceArns=batch)["TagDescriptions"]:
                tags = {t["Key"]: t.get("Value", "") for t in description.get("Tags", [])}
                if is_ingress_load_balancer(tags, cluster):
                    lb = found[description.get("ResourceArn", "")]
                    matches.append(
                        LoadBalancer(
                            lb.get("LoadBalancerName", ""), lb.get("DNSName", ""), lb.get("Type", "")
                        )
                    )
    return matches


def _classic_load_balancers(elb: ElasticLoadBalancingClient, cluster: str) -> list[LoadBalancer]:
    with aws_errors("listing classic load balancers"):
        found = {
            lb["LoadBalancerName"]: lb
            for page in elb.get_paginator("describe_load_balancers").paginate()
            for lb in page["LoadBalancerDescriptions"]
            if "LoadBalancerName" in lb
        }
        matches = []
        for batch in _batches(sorted(found)):
            for description in elb.describe_tags(LoadBalancerNames=batch)["TagDescriptions"]:
                tags = {t["Key"]: t.get("Value", "") for t in description.get("Tags", [])}
                if is_ingress_load_balancer(tags, cluster):
                    lb = found[description.get("LoadBalancerName", "")]
                    matches.append(LoadBalancer(lb["LoadBalancerName"], lb.get("DNSName", ""), "classic"))
    return matches


def any_ingress_load_balancer(
    elbv2: ElasticLoadBalancingv2Client, elb: ElasticLoadBalancingClient, cluster: str
) -> LoadBalancer | None:
    """The one load balancer of the cluster's nginx-ingress Service, None if there is none yet, or
    AwsError if there are several."""
    found = _network_load_balancers(elbv2, cluster) + _classic_load_balancers(elb, cluster)
    return _the_one(found, elbv2.meta.region_name, cluster) if found else None


def find_ingress_load_balancer(
    elbv2: ElasticLoadBalancingv2Client, elb: ElasticLoadBalancingClient, cluster: str
) -> LoadBalancer:
    """The one load balancer of the cluster's nginx-ingress Service, or AwsError."""
    found = _network_load_balancers(elbv2, cluster) + _classic_load_balancers(elb, cluster)
    return _the_one(found, elbv2.meta.region_name, cluster)


def _the_one(found: list[LoadBalancer], region: str, cluster: str) -> LoadBalancer:
    if not found:
        raise AwsError(
            f"no load balancer in {region} is tagged for Service {INGRESS_SERVICE}* of "
            f"{cluster}: is the ingress controller running? (kubectl -n {NGINX_NAMESPACE} get service)"
        )
    if len(found) > 1:
        names = ", ".join(sorted(lb.name for lb in found))
        raise AwsError(
            f"{len(found)} load balancers are tagged for Service {INGRESS_SERVICE}* of {cluster} ({names}); "
            "hubfleet will not guess: delete the stale one"
        )
    return found[0]


def dns_host(name: str) -> str:
    # Route 53 lists the `*` of a wildcard as the escape \052 (backslash, octal).
    return name.rstrip(".").lower().replace("\\052", "*")


@dataclass(frozen=True)
class DnsPlan:
    zone_id: str
    zone_name: str
    record: str
    target: LoadBalancer
    current: str | None
    current_ttl: int | None

    @property
    def up_to_date(self) -> bool:
        return (
            self.current is not None
            and dns_host(self.current) == dns_host(self.target.dns_name)
            and (self.current_ttl == TTL)
        )

    def describe(self) -> list[str]:
        now = f"now {self.current} (TTL {self.current_ttl})" if self.current else "no CNAME yet"
        lines = [
            f"{self.record} in hosted zone {self.zone_name} ({self.zone_id}): {now}",
            f"  load balancer: {self.target.name} ({self.target.kind}) {self.target.dns_name}",
        ]
        if self.up_to_date:
            lines.append("  the CNAME already points there; nothing to change")
        else:
            lines.append(f"  UPSERT CNAME {self.record} -> {self.target.dns_name} (TTL {TTL})")
        return lines


def plan_dns(
    route53: Route53Client, cluster: Cluster, zone_id: str, target: LoadBalancer, name: str | None = None
) -> DnsPlan:
    """Check the hosted zone can hold one of the cluster's hostnames (the domain unless `name`
    says another, `*.<domain>`) and read what it says now."""
    zone_id = zone_id.removeprefix("/hostedzone/")
    with aws_errors(f"reading hosted zone {zone_id}"):
        try:
            zone = route53.get_hosted_zone(Id=zone_id)["HostedZone"]
        except (route53.exceptions.NoSuchHostedZone, route53.exceptions.InvalidInput):
            raise UsageError(f"--zone-id {zone_id}", "no such hosted zone in this account") from None
        zone_name = dns_host(zone["Name"])
        record = dns_host(name or cluster.domain)
        if record == zone_name:
            raise UsageError(
                f"--zone-id {zone_id}",
                f"{record} is the apex of the hosted zone, where a CNAME is not allowed",
            )
        if not record.endswith(f".{zone_name}"):
            raise InputError.at(
                cluster.source_file, f"{record} is not in hosted zone {zone_name} ({zone_id})", field="domain"
            )
        answer = route53.list_resource_record_sets(
            HostedZoneId=zone_id, StartRecordName=record, MaxItems="20"
        )
    current, ttl = None, None
    for record_set in answer["ResourceRecordSets"]:
        if dns_host(record_set["Name"]) != record:
            continue
        if record_set["Type"] != "CNAME":
            raise AwsError(
                f"{record} already has a {record_set['Type']} record in {zone_name}; a CNAME cannot sit "
                "beside it: remove that record first"
            )
        values = record_set.get("ResourceRecords", [])
        current, ttl = (values[0]["Value"] if values else ""), record_set.get("TTL")
    return DnsPlan(zone_id, zone_name, record, target, current, ttl)


def apply_dns(route53: Route53Client, plan: DnsPlan, cluster: str) -> str:
    """UPSERT the CNAME; returns Route 53's change status (PENDING, then INSYNC)."""
    with aws_errors(f"changing {plan.record} in hosted zone {plan.zone_id}"):
        answer = route53.change_resource_record_sets(
            HostedZoneId=plan.zone_id,
            ChangeBatch={
                "Comment": f"hubfleet: {cluster} ingress load balancer",
                "Changes": [
                    {
                        "Action": "UPSERT",
                        "ResourceRecordSet": {
                            "Name": plan.record,
                            "Type": "CNAME",
                            "TTL": TTL,
                            "ResourceRecords": [{"Value": plan.target.dns_name}],
                        },
                    }
                ],
            },
        )
    info = answer["ChangeInfo"]
    return f"{info['Status']} ({info['Id']})"
