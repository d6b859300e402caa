"""`aws dns`: find the ingress load balancer by its Kubernetes tags and UPSERT one CNAME, idempotently."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from hubfleet.aws.dns import LoadBalancer, apply_dns, find_ingress_load_balancer, plan_dns
from hubfleet.errors import AwsError, InputError, UsageError
from hubfleet.inputs.model.cluster import Cluster
from support.aws import (
    Clients,
    cluster_of,
    create_classic_load_balancer,
    create_network_load_balancer,
    create_zone,
    ingress_tags,
    mocked_aws,
    records,
    set_account,
)

DOMAIN = "clustera.hubs.example.org"


@dataclass
class World:
    root: Path
    clients: Clients
    cluster: Cluster
    zone: str


@pytest.fixture
def world(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    set_account(project)
    with mocked_aws(monkeypatch, tmp_path):
        clients = Clients()
        yield World(project, clients, cluster_of(project), create_zone(clients))


def test_dns_upserts_a_cname_to_the_network_load_balancer_once(
    world: World, run: Callable[..., Result]
) -> None:
    create_network_load_balancer(world.clients, "other", ingress_tags("clusterB"))
    target = create_network_load_balancer(world.clients, "a1b2c3", ingress_tags("clusterA"))
    result = run(world.root, "aws", "dns", "clusterA", "--zone-id", world.zone)
    assert result.exit_code == 0, result.output
    assert f"  UPSERT CNAME {DOMAIN} -> {target} (TTL 300)" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("change INSYNC (")
    assert records(world.clients, world.zone, DOMAIN) == [
        {"Name": f"{DOMAIN}.", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": target}]}
    ]
    again = run(world.root, "aws", "dns", "clusterA", "--zone-id", f"/hostedzone/{world.zone}")
    assert again.exit_code == 0, again.output
    assert "  the CNAME already points there; nothing to change" in again.stdout
    assert "change " not in again.stdout


def test_an_up_to_date_record_sends_no_change(world: World) -> None:
    target = create_network_load_balancer(world.clients, "a1b2c3", ingress_tags("clusterA"))
    lb = LoadBalancer("a1b2c3", target, "network")
    apply_dns(
        world.clients.route53, plan_dns(world.clients.route53, world.cluster, world.zone, lb), "clusterA"
    )
    calls: list[str] = []

    def count(**kwargs: Any) -> None:
        calls.append("change")

    world.clients.route53.meta.events.register("before-call.route53.ChangeResourceRecordSets", count)
    plan = plan_dns(world.clients.route53, world.cluster, world.zone, lb)
    assert plan.up_to_date
    plan = plan_dns(
        world.clients.route53, world.cluster, world.zone, LoadBalancer("new", "new.elb.example", "network")
    )
    assert not plan.up_to_date
    assert plan.current == target
    apply_dns(world.clients.route53, plan, "clusterA")
    assert calls == ["change"]
    assert records(world.clients, world.zone, DOMAIN)[0]["ResourceRecords"] == [{"Value": "new.elb.example"}]


def test_a_classic_load_balancer_is_found_too(world: World, run: Callable[..., Result]) -> None:
    target = create_classic_load_balancer(world.clients, "classic1", ingress_tags("clusterA"))
    result = run(world.root, "aws", "dns", "clusterA", "--zone-id", world.zone)
    assert result.exit_code == 0, result.output
    assert f"  load balancer: classic1 (classic) {target}" in result.stdout
    assert records(world.clients, world.zone, DOMAIN)[0]["ResourceRecords"] == [{"Value": target}]


def test_a_load_balancer_controller_nlb_is_found_by_its_tags(world: World) -> None:
    tags = {
        "service.k8s.aws/stack": "nginx-ingress/nginx-ingress-controller",
        "elbv2.k8s.aws/cluster": "clusterA",
    }
    target = create_network_load_balancer(world.clients, "k8s-nginxing", tags)
    found = find_ingress_load_balancer(world.clients.elbv2, world.clients.elb, "clusterA")
    assert found == LoadBalancer("k8s-nginxing", target, "network")


def test_dry_run_changes_nothing(world: World, run: Callable[..., Result]) -> None:
    create_network_load_balancer(world.clients, "a1b2c3", ingress_tags("clusterA"))
    result = run(world.root, "aws", "dns", "clusterA", "--zone-id", world.zone, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "dry run: nothing changed"
    assert records(world.clients, world.zone, DOMAIN) == []


def test_no_ingress_load_balancer_is_an_error(world: World, run: Callable[..., Result]) -> None:
    create_network_load_balancer(world.clients, "web", ingress_tags("clusterA", "default/web"))
    result = run(world.root, "aws", "dns", "clusterA", "--zone-id", world.zone)
    assert result.exit_code == 3
    assert result.stderr == (
        "no load balancer in us-west-2 is tagged for Service nginx-ingress/nginx-ingress* of clusterA: is the "
        "ingress controller running? (kubectl -n nginx-ingress get service)\n"
    )
    assert records(world.clients, world.zone, DOMAIN) == []


def test_two_ingress_load_balancers_are_ambiguous(world: World, run: Callable[..., Result]) -> None:
    create_network_load_balancer(world.clients, "a1b2c3", ingress_tags("clusterA"))
    create_classic_load_balancer(world.clients, "stale", ingress_tags("clusterA"))
    result = run(world.root, "aws", "dns", "clusterA", "--zone-id", world.zone)
    assert result.exit_code == 3
    assert result.stderr == (
        "2 load balancers are tagged for Service nginx-ingress/nginx-ingress* of clusterA (a1b2c3, stale); "
        "hubfleet will not guess: delete the stale one\n"
    )
    assert records(world.clients, world.zone, DOMAIN) == []


def test_zone_problems_are_input_errors(world: World) -> None:
    lb = LoadBalancer("a1b2c3", "a1b2c3.elb.example", "network")
    route53 = world.clients.route53
    with pytest.raises(UsageError, match=r"^--zone-id ZNOPE: no such hosted zone in this account$"):
        plan_dns(route53, world.cluster, "ZNOPE", lb)
    other = create_zone(world.clients, "example.com")
    with pytest.raises(
        InputError, match=r"domain: clustera\.hubs\.example\.org is not in hosted zone example\.com"
    ):
        plan_dns(route53, world.cluster, other, lb)
    route53.change_resource_record_sets(
        HostedZoneId=world.zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": DOMAIN,
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "192.0.2.1"}],
                    },
                }
            ]
        },
    )
    with pytest.raises(
        AwsError, match=r"already has a A record in hubs\.example\.org; a CNAME cannot sit beside"
    ):
        plan_dns(route53, world.cluster, world.zone, lb)


def test_no_load_balancer_at_all_raises_aws_error(world: World) -> None:
    with pytest.raises(AwsError, match=r"^no load balancer in us-west-2 is tagged"):
        find_ingress_load_balancer(world.clients.elbv2, world.clients.elb, "clusterA")


def test_dns_refuses_another_account(world: World, run: Callable[..., Result]) -> None:
    set_account(world.root, "111122223333")
    create_network_load_balancer(world.clients, "a1b2c3", ingress_tags("clusterA"))
    result = run(world.root, "aws", "dns", "clusterA", "--zone-id", world.zone)
    assert result.exit_code == 2
    assert result.stderr.startswith("clusterA belongs to AWS account 111122223333")
    assert records(world.clients, world.zone, DOMAIN) == []


def test_host_urls_point_the_wildcard_even_from_the_domains_own_zone(
    world: World, run: Callable[..., Result]
) -> None:
    """urls: host serves every hub at <hub>.<domain> and nothing at the bare domain: the wildcard is
    the one record, and it may sit in a zone whose apex is the domain (a delegated subzone)."""
    cluster_file = world.root / "clusters/clusterA/cluster.yaml"
    cluster_file.write_text(cluster_file.read_text() + "urls: host\n")
    target = create_network_load_balancer(world.clients, "a1b2c3", ingress_tags("clusterA"))
    for zone in (world.zone, create_zone(world.clients, DOMAIN)):
        result = run(world.root, "aws", "dns", "clusterA", "--zone-id", zone)
        assert result.exit_code == 0, result.output
        assert f"  UPSERT CNAME *.{DOMAIN} -> {target} (TTL 300)" in result.stdout
        assert f"UPSERT CNAME {DOMAIN} " not in result.stdout
        assert result.stdout.splitlines()[-1].startswith("change INSYNC (")
        (wildcard,) = records(world.clients, zone, f"*.{DOMAIN}")
        assert wildcard["ResourceRecords"] == [{"Value": target}]
        assert [r for r in records(world.clients, zone, DOMAIN) if r["Type"] == "CNAME"] == []
        again = run(world.root, "aws", "dns", "clusterA", "--zone-id", zone)
        assert "  the CNAME already points there; nothing to change" in again.stdout
        assert "change " not in again.stdout
