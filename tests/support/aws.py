"""Builders shared by the test_aws_* modules: fake credentials, a project, and an AWS account as eksctl leaves it.

No tests live here. Every builder takes boto3 clients, so the same code seeds
moto in-process (mock_aws) and moto's server over HTTP. The `world` fixture is
imported by the modules that use it (`from test_aws_support import world_fixture`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from hubfleet.inputs.model.cluster import Cluster, NodeGroup
from hubfleet.inputs.pipeline import load_cluster
from hubfleet.render.eksctl import render_node_group
from hubfleet.system.project import Project

MOTO_ACCOUNT = "123456789012"
REGION = "us-west-2"
AMI_NAME = "amazon-eks-node-al2023-x86_64-standard-1.32"
EXTRA_USER = """\
  extraUser:
    # Big notebooks, scaled from zero.
    - name: user-xlarge   # the 4-vCPU tier
      instanceType: t3a.xlarge
      minSize: 0
      maxSize: 5          # five at most
"""


def fake_credentials(monkeypatch: pytest.MonkeyPatch, home: Path) -> Path:
    """No real AWS settings can leak in: fake keys, empty shared files, no instance metadata."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    home.mkdir(parents=True, exist_ok=True)
    credentials = home / "credentials"
    credentials.write_text("")
    (home / "config").write_text("")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # moto loads thousands of public AMIs per region otherwise; tests register the one they use.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    return credentials


@contextmanager
def mocked_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    fake_credentials(monkeypatch, tmp_path / "aws")
    with mock_aws():
        yield


def set_account(root: Path, account: str = MOTO_ACCOUNT, cluster: str = "clusterA") -> None:
    path = root / "clusters" / cluster / "cluster.yaml"
    text, count = re.subn(r'accountId: "\d{12}"', f'accountId: "{account}"', path.read_text())
    assert count == 1
    path.write_text(text)


def add_extra_user_group(root: Path, cluster: str = "clusterA") -> None:
    """An extra user group (a list entry, with comments) after nodeGroups.user."""
    path = root / "clusters" / cluster / "cluster.yaml"
    text = path.read_text()
    if EXTRA_USER in text:
        return  # the example has it already
    anchor = "    volumeSize: 30\n\ningress:"
    assert anchor in text
    path.write_text(text.replace(anchor, f"    volumeSize: 30\n{EXTRA_USER}\ningress:"))


def cluster_of(root: Path, name: str = "clusterA") -> Cluster:
    return load_cluster(Project(root), name)


@dataclass
class World:
    """The example project with an extra user group, and a moto account with its node groups."""

    root: Path
    clients: Clients
    cluster: Cluster
    groups: dict[str, str]
    credentials: Path

    @property
    def cluster_file(self) -> Path:
        return self.root / "clusters/clusterA/cluster.yaml"


@pytest.fixture(name="world")
def world_fixture(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    """Named apart from its fixture name, so test parameters called `world` shadow no import."""
    set_account(project)
    add_extra_user_group(project)
    with mocked_aws(monkeypatch, tmp_path):
        clients = Clients()
        cluster = cluster_of(project)
        groups = create_node_groups(clients, cluster)
        yield World(project, clients, cluster, groups, tmp_path / "aws" / "credentials")


@cache
def _test_session() -> boto3.session.Session:
    """One session for the test side of every test: loading botocore's data once keeps the suite fast."""
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )


class Clients:
    """Clients in one region, made on first use from one session, against moto in-process or a moto server."""

    def __init__(self, endpoint_url: str | None = None) -> None:
        self._endpoint_url = endpoint_url

    def _client(self, service: str) -> Any:
        return _test_session().client(service, endpoint_url=self._endpoint_url)

    @cached_property
    def autoscaling(self) -> Any:
        return self._client("autoscaling")

    @cached_property
    def ec2(self) -> Any:
        return self._client("ec2")

    @cached_property
    def elb(self) -> Any:
        return self._client("elb")

    @cached_property
    def elbv2(self) -> Any:
        return self._client("elbv2")

    @cached_property
    def route53(self) -> Any:
        return self._client("route53")

    @cached_property
    def iam(self) -> Any:
        return self._client("iam")


def eksctl_tags(cluster: Cluster, group: NodeGroup, *, old_style: bool = False) -> dict[str, str]:
    """The tags an eksctl-created Auto Scaling group carries (stack tags, plus the ClusterConfig's)."""
    if old_style:
        tags = {
            "eksctl.cluster.k8s.io/v1alpha1/cluster-name": cluster.name,
            "eksctl.io/v1alpha2/nodegroup-name": group.eksctl_name,
        }
    else:
        tags = {
            "alpha.eksctl.io/cluster-name": cluster.name,
            "alpha.eksctl.io/nodegroup-name": group.eksctl_name,
            "alpha.eksctl.io/nodegroup-type": "unmanaged",
            "eksctl.cluster.k8s.io/v1alpha1/cluster-name": cluster.name,
            "eksctl.io/v1alpha2/nodegroup-name": group.eksctl_name,
        }
    tags[f"kubernetes.io/cluster/{cluster.name}"] = "owned"
    tags["Name"] = f"{cluster.name}-{group.eksctl_name}-Node"
    tags.update(render_node_group(cluster, group)["tags"])
    return tags


def create_group(
    clients: Clients,
    cluster: Cluster,
    group: NodeGroup,
    *,
    suffix: str = "1A2B3C",
    instance_type: str | None = None,
    zones: tuple[str, ...] | None = None,
    tags: dict[str, str] | None = None,
    old_style: bool = False,
) -> str:
    """An Auto Scaling group with a launch template, as eksctl's CloudFormation stack creates it."""
    template = f"eksctl-{cluster.name}-nodegroup-{group.eksctl_name}-{suffix}"
    created = clients.ec2.create_launch_template(
        LaunchTemplateName=template,
        LaunchTemplateData={
            "InstanceType": instance_type or group.instance_type,
            "ImageId": node_image(clients),
        },
    )
    name = f"eksctl-{cluster.name}-nodegroup-{group.eksctl_name}-NodeGroup-{suffix}"
    all_tags = eksctl_tags(cluster, group, old_style=old_style) if tags is None else tags
    clients.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        MinSize=group.min_size,
        MaxSize=group.max_size,
        DesiredCapacity=group.desired_capacity,
        AvailabilityZones=list(zones or group.zones),
        LaunchTemplate={
            "LaunchTemplateId": created["LaunchTemplate"]["LaunchTemplateId"],
            "Version": "$Latest",
        },
        Tags=[
            {
                "ResourceId": name,
                "ResourceType": "auto-scaling-group",
                "Key": k,
                "Value": v,
                "PropagateAtLaunch": True,
            }
            for k, v in all_tags.items()
        ],
    )
    return name


def node_image(clients: Clients) -> str:
    """The EKS node AMI of the fake account, registered on first use."""
    found = clients.ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": [AMI_NAME]}])[
        "Images"
    ]
    if found:
        return str(found[0]["ImageId"])
    image = clients.ec2.register_image(Name=AMI_NAME, RootDeviceName="/dev/xvda", Architecture="x86_64")
    return str(image["ImageId"])


def create_node_groups(clients: Clients, cluster: Cluster) -> dict[str, str]:
    """One Auto Scaling group per node group: node-group name -> group name."""
    return {group.name: create_group(clients, cluster, group) for group in cluster.node_groups}


def group_sizes(clients: Clients, name: str) -> tuple[int, int, int]:
    group = clients.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
        "AutoScalingGroups"
    ][0]
    return group["MinSize"], group["MaxSize"], group["DesiredCapacity"]


def ingress_tags(cluster: str, service: str = "nginx-ingress/nginx-ingress-controller") -> dict[str, str]:
    return {"kubernetes.io/service-name": service, f"kubernetes.io/cluster/{cluster}": "owned"}


def create_network_load_balancer(clients: Clients, name: str, tags: dict[str, str]) -> str:
    """An NLB as the AWS cloud provider makes it for a Service of type LoadBalancer; returns its DNS name."""
    vpc = clients.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = clients.ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{REGION}b")
    answer = clients.elbv2.create_load_balancer(
        Name=name,
        Subnets=[subnet["Subnet"]["SubnetId"]],
        Type="network",
        Scheme="internet-facing",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    return str(answer["LoadBalancers"][0]["DNSName"])


def create_classic_load_balancer(clients: Clients, name: str, tags: dict[str, str]) -> str:
    answer = clients.elb.create_load_balancer(
        LoadBalancerName=name,
        Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 443, "InstancePort": 30443}],
        AvailabilityZones=[f"{REGION}b"],
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    return str(answer["DNSName"])


def create_zone(clients: Clients, name: str = "hubs.example.org") -> str:
    answer = clients.route53.create_hosted_zone(Name=name, CallerReference=f"test-{name}")
    return str(answer["HostedZone"]["Id"]).removeprefix("/hostedzone/")


def records(clients: Clients, zone_id: str, name: str) -> list[dict[str, Any]]:
    answer = clients.route53.list_resource_record_sets(HostedZoneId=zone_id)
    return [r for r in answer["ResourceRecordSets"] if r["Name"].rstrip(".") == name.lower()]


def create_volume(clients: Clients, cluster: str, zone: str, namespace: str, claim: str) -> str:
    """An EBS volume as the EBS CSI driver creates it for a PersistentVolumeClaim."""
    tags = {
        "ebs.csi.aws.com/cluster": "true",
        "KubernetesCluster": cluster,
        f"kubernetes.io/cluster/{cluster}": "owned",
        "kubernetes.io/created-for/pvc/namespace": namespace,
        "kubernetes.io/created-for/pvc/name": claim,
        "kubernetes.io/created-for/pv/name": f"pvc-{namespace}-{claim}",
    }
    answer = clients.ec2.create_volume(
        AvailabilityZone=zone,
        Size=40,
        VolumeType="gp3",
        TagSpecifications=[
            {"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ],
    )
    return str(answer["VolumeId"])


def restricted_profile(clients: Clients, credentials: Path, profile: str, actions: list[str]) -> None:
    """An IAM user allowed only `actions`, written to the shared credentials file as `profile`."""
    clients.iam.create_user(UserName=profile)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    clients.iam.put_user_policy(UserName=profile, PolicyName="only", PolicyDocument=json.dumps(policy))
    key = clients.iam.create_access_key(UserName=profile)["AccessKey"]
    with credentials.open("a") as stream:
        stream.write(
            f"[{profile}]\naws_access_key_id = {key['AccessKeyId']}\n"
            f"aws_secret_access_key = {key['SecretAccessKey']}\n"
        )
