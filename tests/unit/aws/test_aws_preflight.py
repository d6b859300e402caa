"""`aws preflight`: zones, instance type offerings and EBS attachment room, before eksctl runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import Result

from hubfleet.aws.preflight import (
    STATUS_OF,
    attachment_facts,
    check_attachments,
    check_offerings,
    check_zones,
    preflight_check,
)
from hubfleet.inputs.model.cluster import Cluster
from support.aws import cluster_of, mocked_aws, set_account

ZONES = {"us-west-2a": "available", "us-west-2b": "available", "us-west-2c": "available"}


@pytest.fixture
def root(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    set_account(project)
    with mocked_aws(monkeypatch, tmp_path):
        yield project


@pytest.fixture
def cluster(project: Path) -> Cluster:
    return cluster_of(project)


def test_preflight_of_the_example_cluster_has_no_blockers(root: Path, run: Callable[..., Result]) -> None:
    result = run(root, "aws", "preflight", "clusterA")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "preflight of clusterA in us-west-2:",
        "  OK       account: credentials are for 123456789012, as clusters/clusterA/cluster.yaml says",
        "  OK       zone us-west-2a: exists and is available",
        "  OK       zone us-west-2b: exists and is available",
        "  OK       zone us-west-2c: exists and is available",
        "  OK       node group tools: t3a.medium is offered in us-west-2b",
        "  OK       node group core: t3a.medium is offered in us-west-2b",
        "  OK       node group user: t3a.large is offered in us-west-2a, us-west-2b, us-west-2c",
        "  OK       node group user-xlarge: t3a.xlarge is offered in us-west-2a, us-west-2b, us-west-2c",
        "  OK       node group gpu-t4: g4dn.xlarge is offered in us-west-2a, us-west-2b, us-west-2c",
        # moto's EC2 answer gives t3a.medium 4 network interfaces (AWS says 3), hence 23 per node.
        "  OK       node group core: 4 hubs need 7 EBS volumes on core nodes (a drive each, and a database "
        "volume per active hub); 10 x t3a.medium can attach 230 (23 per node beside its root volume and "
        "network interfaces) [EC2 API]",
        "clusterA: no blockers",
    ]


def test_a_zone_the_region_lacks_is_a_blocker_exit_1(root: Path, run: Callable[..., Result]) -> None:
    path = root / "clusters/clusterA/cluster.yaml"
    path.write_text(path.read_text().replace("us-west-2c]", "us-west-2e]"))
    result = run(root, "aws", "preflight", "clusterA")
    assert result.exit_code == 1
    assert (
        "  BLOCKER  zone us-west-2e: does not exist in us-west-2 (us-west-2a, us-west-2b, us-west-2c, us-west-2d)"
        in (result.stdout.splitlines())
    )
    assert "  OK       node group user: t3a.large is offered in us-west-2a, us-west-2b, us-west-2e" in (
        result.stdout.splitlines()
    )
    assert result.stderr == "clusterA: 1 blocker; fix before `eksctl create cluster`\n"


def test_another_account_is_refused_exit_2_like_every_aws_command(
    root: Path, run: Callable[..., Result]
) -> None:
    set_account(root, "111122223333")
    result = run(root, "aws", "preflight", "clusterA")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "clusterA belongs to AWS account 111122223333 (clusters/clusterA/cluster.yaml), but the credentials of "
        "the default credential chain are for account 123456789012; nothing was changed\n"
    )


def test_an_instance_type_not_offered_in_a_zone_is_a_blocker(cluster: Cluster) -> None:
    types = ("t3a.medium", "t3a.large", "t3a.xlarge", "g4dn.xlarge")
    offered = {(t, z) for t in types for z in ZONES} - {("t3a.large", "us-west-2c")}
    checks = check_offerings(cluster, offered, set(ZONES))
    assert preflight_check("blocker", "node group user", "t3a.large is not offered in us-west-2c") in checks
    assert [STATUS_OF[c.severity] for c in checks] == ["ok", "ok", "blocker", "ok", "ok"]


def test_zones_that_are_not_available_are_blockers(cluster: Cluster) -> None:
    checks = check_zones(cluster, {**ZONES, "us-west-2a": "impaired"})
    assert checks[0] == preflight_check("blocker", "zone us-west-2a", "is impaired")
    assert [STATUS_OF[c.severity] for c in checks[1:]] == ["ok", "ok"]


def test_attachment_limit_from_the_ec2_api_wins_over_the_table() -> None:
    info = {
        "InstanceType": "t3a.medium",
        "EbsInfo": {"MaximumEbsAttachments": 32, "AttachmentLimitType": "dedicated"},
        "NetworkInfo": {"MaximumNetworkInterfaces": 3},
    }
    facts, source = attachment_facts(info, "t3a.medium")  # type: ignore[arg-type]
    assert source == "EC2 API"
    assert facts is not None and facts.drive_slots == 31
    facts, source = attachment_facts({"InstanceType": "t3a.medium", "EbsInfo": {}}, "t3a.medium")
    assert source == "shipped table"
    assert facts is not None and facts.drive_slots == 24
    assert attachment_facts(None, "x9.nothing") == (None, "shipped table")


def test_too_many_volumes_for_the_core_nodes_is_a_blocker(cluster: Cluster) -> None:
    core = cluster.node_group("core")
    facts, _ = attachment_facts(None, core.instance_type)
    room = core.max_size * 24
    assert check_attachments(core, facts, "shipped table", room // 2, room).severity == "info"
    blocked = check_attachments(core, facts, "shipped table", room // 2, room + 1)
    assert blocked == preflight_check(
        "blocker",
        "node group core",
        f"{room // 2} hubs need {room + 1} EBS volumes on core nodes (a drive each, and a database volume per "
        f"active hub); 10 x t3a.medium can attach {room} (24 per node beside its root volume and network "
        "interfaces): raise maxSize or use a bigger core instance type [shipped table]",
    )
    unknown = check_attachments(core, None, "shipped table", 2, 3)
    assert unknown == preflight_check(
        "warning", "node group core", "cannot check EBS attachments: t3a.medium is unknown"
    )


def test_core_volumes_count_a_drive_per_hub_and_a_database_per_active_hub(cluster: Cluster) -> None:
    assert [(hub.name, hub.state) for hub in cluster.hubs] == [
        ("bio150", "active"),
        ("chem200-2025", "retired"),
        ("datalab", "active"),
        ("physics101", "active"),
    ]
    assert cluster.core_volumes == 2 + 1 + 2 + 2
    all_retired = replace(cluster, hubs=tuple(replace(hub, state="retired") for hub in cluster.hubs))
    assert all_retired.core_volumes == 4
