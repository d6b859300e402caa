"""End to end over real HTTP: the installed CLI, as a subprocess, against moto's server on loopback.

botocore reads AWS_ENDPOINT_URL, so the CLI runs exactly as a person runs it,
credentials chain and retry configuration included; only the endpoint differs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from support.aws import (
    Clients,
    add_extra_user_group,
    cluster_of,
    create_network_load_balancer,
    create_node_groups,
    create_volume,
    create_zone,
    fake_credentials,
    group_sizes,
    ingress_tags,
    records,
    set_account,
)

HUBFLEET = Path(sys.executable).with_name("hubfleet")


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    fake_credentials(monkeypatch, tmp_path / "aws")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    try:
        yield url
    finally:
        server.stop()


def hubfleet(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HUBFLEET), "--root", str(root), "aws", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )


def test_scale_dns_and_drift_over_http_with_the_installed_cli(project: Path, endpoint: str) -> None:
    set_account(project)
    add_extra_user_group(project)
    clients = Clients(endpoint_url=endpoint)
    groups = create_node_groups(clients, cluster_of(project))
    target = create_network_load_balancer(clients, "a1b2c3", ingress_tags("clusterA"))
    zone = create_zone(clients)
    cluster_file = project / "clusters/clusterA/cluster.yaml"
    before = cluster_file.read_text()

    scaled = hubfleet(project, "scale", "clusterA", "user-xlarge", "--max", "9")
    assert scaled.returncode == 0, scaled.stderr
    assert group_sizes(clients, groups["user-xlarge"]) == (0, 9, 0)
    assert cluster_file.read_text() == before.replace(
        "maxSize: 5          # five", "maxSize: 9          # five"
    )
    assert (project / "gitops/eksctl/clusterA.yaml").is_file()

    pointed = hubfleet(project, "dns", "clusterA", "--zone-id", zone)
    assert pointed.returncode == 0, pointed.stderr
    assert records(clients, zone, "clusterA.hubs.example.org")[0]["ResourceRecords"] == [{"Value": target}]

    drift = hubfleet(project, "drift", "clusterA", "--format", "json")
    assert drift.returncode == 0, drift.stderr
    assert json.loads(drift.stdout)["drift"] is False

    clients.autoscaling.update_auto_scaling_group(AutoScalingGroupName=groups["tools"], MaxSize=7)
    drift = hubfleet(project, "drift", "clusterA")
    assert drift.returncode == 1
    assert drift.stderr == "clusterA: 1 difference between clusters/clusterA/cluster.yaml and AWS\n"
    assert "node group tools-v1-35: maxSize: input 4, AWS 7" in drift.stdout


def test_backups_tag_status_and_restore_over_http_with_the_installed_cli(
    project: Path, endpoint: str
) -> None:
    set_account(project)
    cluster_file = project / "clusters/clusterA/cluster.yaml"
    cluster_file.write_text(cluster_file.read_text() + "backups: {schedule: daily, keep: 7}\n")
    clients = Clients(endpoint_url=endpoint)
    drive = create_volume(clients, "clusterA", "us-west-2b", "datalab", "data-drive-nfs-0")

    tagged = hubfleet(project, "backups", "tag", "clusterA")
    assert tagged.returncode == 0, tagged.stderr
    assert tagged.stdout.splitlines()[-1] == "clusterA: tagged 1 volume"

    stale = hubfleet(project, "backups", "status", "clusterA", "datalab", "--format", "json")
    assert stale.returncode == 1
    assert [(r["kind"], r["stale"]) for r in json.loads(stale.stdout)] == [("drive", True)]

    taken = clients.ec2.create_snapshot(VolumeId=drive)["SnapshotId"]
    fresh = hubfleet(project, "backups", "status", "clusterA", "datalab")
    assert fresh.returncode == 0, fresh.stderr

    restored = hubfleet(project, "backups", "restore", "clusterA", "datalab", "--user", "bob")
    assert restored.returncode == 0, restored.stderr
    made = [v for v in clients.ec2.describe_volumes()["Volumes"] if v.get("SnapshotId") == taken]
    assert [v["AvailabilityZone"] for v in made] == ["us-west-2b"]
    assert len(list((project / "clusters/clusterA/restores").glob("datalab-*.yaml"))) == 1
