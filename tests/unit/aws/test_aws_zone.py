"""The hosted zone (`hostedZone`) against Route 53 in moto: `aws preflight` asks whether it exists,
is public and is delegated to (as far as AWS can tell), `aws drift` whether the records the URL
scheme needs point at the ingress load balancer, and `aws dns` takes the zone from the input."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from click.testing import Result

from support.aws import (
    REGION,
    Clients,
    create_network_load_balancer,
    create_zone,
    ingress_tags,
    mocked_aws,
    set_account,
)

FILE = "clusters/clusterA/cluster.yaml"
DOMAIN = "clustera.hubs.example.org"


@pytest.fixture
def clients(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Clients]:
    set_account(project)
    with mocked_aws(monkeypatch, tmp_path):
        yield Clients()


def use_zone(root: Path, zone_id: str, name: str = "hubs.example.org", urls: str = "path") -> None:
    cluster = root / FILE
    cluster.write_text(cluster.read_text() + f"urls: {urls}\nhostedZone: {{id: {zone_id}, name: {name}}}\n")


def name_servers(clients: Clients, zone_id: str) -> list[str]:
    return list(clients.route53.get_hosted_zone(Id=zone_id)["DelegationSet"]["NameServers"])


def add_record(clients: Clients, zone_id: str, name: str, kind: str, values: list[str]) -> None:
    clients.route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": name,
                        "Type": kind,
                        "TTL": 300,
                        "ResourceRecords": [{"Value": value} for value in values],
                    },
                }
            ]
        },
    )


def zone_lines(result: Result) -> list[str]:
    return [line for line in result.stdout.splitlines() if "hosted zone" in line]


def test_a_zone_its_parent_delegates_to_passes(
    project: Path, clients: Clients, run: Callable[..., Result]
) -> None:
    zone = create_zone(clients)
    parent = create_zone(clients, "example.org")
    servers = name_servers(clients, zone)
    add_record(clients, parent, "hubs.example.org", "NS", servers)
    use_zone(project, zone)
    result = run(project, "aws", "preflight", "clusterA")
    assert result.exit_code == 0, result.output
    listed = ", ".join(sorted(servers))
    assert zone_lines(result) == [
        f"  OK       hosted zone {zone}: hubs.example.org is public, served by {listed}",
        f"  OK       hosted zone {zone}: zone example.org delegates hubs.example.org to it",
    ]


def test_a_parent_delegating_elsewhere_is_a_blocker(
    project: Path, clients: Clients, run: Callable[..., Result]
) -> None:
    zone = create_zone(clients)
    parent = create_zone(clients, "example.org")
    add_record(
        clients, parent, "hubs.example.org", "NS", ["ns1.elsewhere.example.", "ns2.elsewhere.example."]
    )
    use_zone(project, zone)
    result = run(project, "aws", "preflight", "clusterA")
    assert result.exit_code == 1
    listed = ", ".join(sorted(name_servers(clients, zone)))
    assert zone_lines(result)[1] == (
        f"  BLOCKER  hosted zone {zone}: zone example.org delegates hubs.example.org to ns1.elsewhere.example, "
        f"ns2.elsewhere.example, not to its servers ({listed})"
    )


def test_a_zone_not_in_the_account_and_a_private_one_are_blockers(
    project: Path, clients: Clients, run: Callable[..., Result]
) -> None:
    use_zone(project, "Z0000000000NOSUCHZONE")
    result = run(project, "aws", "preflight", "clusterA")
    assert result.exit_code == 1
    assert zone_lines(result) == [
        f"  BLOCKER  hosted zone Z0000000000NOSUCHZONE: is not in this account ({FILE} hostedZone.id)"
    ]
    private = clients.route53.create_hosted_zone(
        Name="hubs.example.org",
        CallerReference="private",
        HostedZoneConfig={"PrivateZone": True},
        VPC={"VPCRegion": REGION, "VPCId": clients.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]},
    )["HostedZone"]["Id"].removeprefix("/hostedzone/")
    (project / FILE).write_text((project / FILE).read_text().replace("Z0000000000NOSUCHZONE", private))
    result = run(project, "aws", "preflight", "clusterA")
    assert zone_lines(result) == [
        f"  BLOCKER  hosted zone {private}: hubs.example.org is private: Let's Encrypt and users resolve "
        f"{DOMAIN} publicly"
    ]


def test_a_registration_with_route53_domains_is_compared_when_no_parent_zone_is_here(
    project: Path, clients: Clients, run: Callable[..., Result]
) -> None:
    domains = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client("route53domains")
    contact = {
        "FirstName": "Hub", "LastName": "Ops", "ContactType": "PERSON", "AddressLine1": "1 Campus Way",
        "City": "Eugene", "CountryCode": "US", "ZipCode": "97403", "PhoneNumber": "+1.5415550100",
        "Email": "hub-ops@example.edu",
    }  # fmt: skip
    domains.register_domain(
        DomainName="hubs-example.org", DurationInYears=2, AdminContact=contact, RegistrantContact=contact,
        TechContact=contact,
    )  # fmt: skip
    zone = next(
        z["Id"].removeprefix("/hostedzone/")
        for z in clients.route53.list_hosted_zones()["HostedZones"]
        if z["Name"].rstrip(".") == "hubs-example.org"
    )
    cluster = project / FILE
    cluster.write_text(cluster.read_text().replace("clusterA.hubs.example.org", "clustera.hubs-example.org"))
    use_zone(project, zone, "hubs-example.org")
    # moto's registration names other servers than the zone's: the delegation is broken.
    result = run(project, "aws", "preflight", "clusterA")
    assert result.exit_code == 1
    listed = ", ".join(sorted(name_servers(clients, zone)))
    registered = domains.get_domain_detail(DomainName="hubs-example.org")["Nameservers"]
    assert zone_lines(result)[1] == (
        f"  BLOCKER  hosted zone {zone}: the registration of hubs-example.org names "
        f"{', '.join(sorted(n['Name'] for n in registered))}, not its servers ({listed})"
    )
    domains.update_domain_nameservers(
        DomainName="hubs-example.org", Nameservers=[{"Name": name} for name in name_servers(clients, zone)]
    )
    result = run(project, "aws", "preflight", "clusterA")
    assert result.exit_code == 0, result.output
    assert (
        zone_lines(result)[1]
        == f"  OK       hosted zone {zone}: the registration of hubs-example.org names its servers"
    )


def test_a_delegation_aws_cannot_see_is_a_warning_saying_what_to_compare(
    project: Path, clients: Clients, run: Callable[..., Result]
) -> None:
    zone = create_zone(clients)
    use_zone(project, zone)
    result = run(project, "aws", "preflight", "clusterA")
    assert result.exit_code == 0, result.output
    listed = ", ".join(sorted(name_servers(clients, zone)))
    assert zone_lines(result)[1] == (
        f"  WARNING  hosted zone {zone}: AWS cannot tell who delegates hubs.example.org (its parent zone and "
        f"registration are elsewhere): check that `dig NS hubs.example.org` names {listed}"
    )


def test_drift_reports_a_record_that_points_elsewhere(
    project: Path, clients: Clients, run: Callable[..., Result]
) -> None:
    zone = create_zone(clients)
    use_zone(project, zone, urls="host")
    target = create_network_load_balancer(clients, "a1b2c3", ingress_tags("clusterA"))
    add_record(clients, zone, f"*.{DOMAIN}", "CNAME", ["old-lb.elb.example"])
    result = run(project, "aws", "drift", "clusterA")
    assert result.exit_code == 1
    assert (
        f"  DNS *.{DOMAIN}: CNAME: input {target.lower()}, AWS old-lb.elb.example [{zone}]; "
        "`hubfleet aws dns clusterA` points it at the load balancer"
    ) in result.stdout.splitlines()
    # `aws dns` takes the zone from hostedZone, and then drift has nothing to say about DNS.
    fixed = run(project, "aws", "dns", "clusterA")
    assert fixed.exit_code == 0, fixed.output
    again = run(project, "aws", "drift", "clusterA")
    assert not [line for line in again.stdout.splitlines() if "DNS " in line]


def test_drift_takes_an_alias_to_the_load_balancer_and_names_the_fix_for_other_records(
    project: Path, clients: Clients, run: Callable[..., Result]
) -> None:
    zone = create_zone(clients)
    use_zone(project, zone)
    target = create_network_load_balancer(clients, "a1b2c3", ingress_tags("clusterA"))
    clients.route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": DOMAIN,
                        "Type": "A",
                        "AliasTarget": {
                            "HostedZoneId": "Z18D5FSROUN65G",
                            "DNSName": f"dualstack.{target}",
                            "EvaluateTargetHealth": False,
                        },
                    },
                }
            ]
        },
    )
    result = run(project, "aws", "drift", "clusterA")
    assert not [line for line in result.stdout.splitlines() if "DNS " in line], result.output
    add_record(clients, zone, DOMAIN, "A", ["203.0.113.7"])
    result = run(project, "aws", "drift", "clusterA")
    assert result.exit_code == 1
    assert (
        f"  DNS {DOMAIN}: A: input {target.lower()}, AWS 203.0.113.7 [{zone}]; remove that A record, then "
        "`hubfleet aws dns clusterA`"
    ) in result.stdout.splitlines()


def test_drift_with_a_zone_not_in_the_account_still_reports_the_rest(
    project: Path, clients: Clients, run: Callable[..., Result]
) -> None:
    use_zone(project, "Z0000000000NOSUCHZONE")
    create_network_load_balancer(clients, "a1b2c3", ingress_tags("clusterA"))
    result = run(project, "aws", "drift", "clusterA")
    assert result.exit_code == 1, result.output
    assert (
        "  hosted zone Z0000000000NOSUCHZONE: exists: input yes, AWS none; no such hosted zone in this account; "
        "see `hubfleet aws preflight`"
    ) in result.stdout.splitlines()
    assert any(line.startswith("  node group ") for line in result.stdout.splitlines())
