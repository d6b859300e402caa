"""`aws drift`: every difference between cluster.yaml and the Auto Scaling groups and drive volumes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import replace

from click.testing import Result
from moto.core import set_initial_no_auth_action_count

from conftest import HELM, REPO, load_docs_text, require
from hubfleet.aws.drift import DRIVE_CLAIM, find_drift
from hubfleet.render.hub import DRIVE_RELEASE
from support.aws import (
    World,
    create_group,
    create_volume,
    restricted_profile,
    set_account,
    world_fixture,  # noqa: F401  (the `world` fixture)
)


def test_no_drift_when_aws_is_as_eksctl_created_it(world: World, run: Callable[..., Result]) -> None:
    create_volume(world.clients, "clusterA", "us-west-2b", "datalab", "data-drive-nfs-0")
    create_volume(world.clients, "clusterA", "us-west-2b", "datalab", "hub-db-dir")
    result = run(world.root, "aws", "drift", "clusterA")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "clusterA: clusters/clusterA/cluster.yaml against AWS account 123456789012 in us-west-2",
        "clusterA: no drift",
    ]


def test_desired_capacity_moved_by_the_autoscaler_is_a_note_not_drift(
    world: World, run: Callable[..., Result]
) -> None:
    world.clients.autoscaling.set_desired_capacity(
        AutoScalingGroupName=world.groups["user"], DesiredCapacity=4
    )
    result = run(world.root, "aws", "drift", "clusterA", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["drift"] is False
    assert report["differences"] == []
    assert [(n["subject"], n["field"], n["input"], n["aws"]) for n in report["notes"]] == [
        ("node group user-v1-35", "desiredCapacity", 1, 4)
    ]


def test_every_kind_of_drift_is_reported_and_exits_1(world: World, run: Callable[..., Result]) -> None:
    autoscaling, cluster, groups = world.clients.autoscaling, world.cluster, world.groups
    autoscaling.update_auto_scaling_group(AutoScalingGroupName=groups["core"], MaxSize=12, MinSize=2)
    autoscaling.delete_tags(
        Tags=[
            {
                "ResourceId": groups["tools"],
                "ResourceType": "auto-scaling-group",
                "Key": "k8s.io/cluster-autoscaler/enabled",
            }
        ]
    )
    autoscaling.delete_auto_scaling_group(AutoScalingGroupName=groups["user"], ForceDelete=True)
    create_group(
        world.clients,
        cluster,
        cluster.node_group("user"),
        suffix="5U5U5U",
        instance_type="m5.large",
        zones=("us-west-2a", "us-west-2b"),
    )
    autoscaling.delete_auto_scaling_group(AutoScalingGroupName=groups["user-xlarge"], ForceDelete=True)
    gpu = next(g for g in cluster.node_groups if g.name == "user-xlarge")
    create_group(world.clients, cluster, type(gpu)(**{**gpu.__dict__, "name": "gpu"}), suffix="6G6G6G")
    drive = create_volume(world.clients, "clusterA", "us-west-2a", "physics101", "data-drive-nfs-0")
    orphan = create_volume(world.clients, "clusterA", "us-west-2c", "oldhub", "data-drive-nfs-0")
    create_volume(world.clients, "clusterA", "us-west-2c", "monitoring", "prometheus-db")
    create_volume(world.clients, "clusterB", "us-west-2c", "datalab", "data-drive-nfs-0")

    result = run(world.root, "aws", "drift", "clusterA", "--format", "json")
    assert result.exit_code == 1
    assert result.stderr == "clusterA: 10 differences between clusters/clusterA/cluster.yaml and AWS\n"
    report = json.loads(result.stdout)
    assert report["drift"] is True
    core, tools = groups["core"], groups["tools"]
    user = "eksctl-clusterA-nodegroup-user-v1-35-NodeGroup-5U5U5U"
    assert [
        (d["subject"], d["field"], d["input"], d["aws"], d["resource"]) for d in report["differences"]
    ] == [
        ("node group tools-v1-35", "tag k8s.io/cluster-autoscaler/enabled", "true", None, tools),
        ("node group core-v1-35", "minSize", 1, 2, core),
        ("node group core-v1-35", "maxSize", 10, 12, core),
        ("node group user-v1-35", "instanceType", "t3a.large", ["m5.large"], user),
        (
            "node group user-v1-35",
            "zones",
            ["us-west-2a", "us-west-2b", "us-west-2c"],
            ["us-west-2a", "us-west-2b"],
            user,
        ),
        ("node group user-xlarge-v1-35", "Auto Scaling group", "present", None, ""),
        (
            "node group gpu-v1-35",
            "Auto Scaling group",
            None,
            ["eksctl-clusterA-nodegroup-gpu-v1-35-NodeGroup-6G6G6G"],
            "",
        ),
        ("drive of hub oldhub", "zone", "us-west-2b", "us-west-2c", orphan),
        ("drive of hub physics101", "zone", "us-west-2b", "us-west-2a", drive),
        # No hub file names oldhub: its drive is orphaned (and it is out of the core zone as well).
        ("drive of hub oldhub", "hub file", None, "oldhub/data-drive-nfs-0", orphan),
    ]

    text = run(world.root, "aws", "drift", "clusterA")
    assert text.exit_code == 1
    assert f"  node group core-v1-35: maxSize: input 10, AWS 12 [{core}]" in text.stdout


def test_volumes_of_a_deleted_hub_are_orphans_and_a_retired_hubs_are_not(
    world: World, run: Callable[..., Result]
) -> None:
    kept = create_volume(world.clients, "clusterA", "us-west-2b", "chem200-2025", "hub-db-dir")
    gone = create_volume(world.clients, "clusterA", "us-west-2b", "bio101-2024", "hub-db-dir")
    result = run(world.root, "aws", "drift", "clusterA")
    assert result.exit_code == 1
    assert (
        f"  hub database of hub bio101-2024: hub file: input none, AWS bio101-2024/hub-db-dir [{gone}]; no hub "
        "file names this namespace: restore it with state: retired to keep the data reachable, or back the "
        "volume up and delete it"
    ) in result.stdout.splitlines()
    assert kept not in result.stdout


def test_a_tag_the_input_does_not_render_is_drift(world: World) -> None:
    world.clients.autoscaling.create_or_update_tags(
        Tags=[
            {
                "ResourceId": world.groups["core"],
                "ResourceType": "auto-scaling-group",
                "Key": "k8s.io/cluster-autoscaler/node-template/label/stale",
                "Value": "yes",
                "PropagateAtLaunch": True,
            }
        ]
    )
    report = find_drift(world.cluster, "123456789012", world.clients.autoscaling, world.clients.ec2)
    assert [str(d) for d in report.drift] == [
        "node group core-v1-35: tag k8s.io/cluster-autoscaler/node-template/label/stale: input none, AWS yes "
        f"[{world.groups['core']}]"
    ]


def test_two_groups_with_one_node_groups_tags_are_drift(world: World) -> None:
    create_group(world.clients, world.cluster, world.cluster.node_group("core"), suffix="7C7C7C")
    report = find_drift(world.cluster, "123456789012", world.clients.autoscaling, world.clients.ec2)
    assert [(d.subject, d.aws) for d in report.drift] == [
        (
            "node group core-v1-35",
            [world.groups["core"], "eksctl-clusterA-nodegroup-core-v1-35-NodeGroup-7C7C7C"],
        )
    ]


def test_drift_refuses_another_account(world: World, run: Callable[..., Result]) -> None:
    set_account(world.root, "111122223333")
    result = run(world.root, "aws", "drift", "clusterA")
    assert result.exit_code == 2
    assert result.stderr.startswith("clusterA belongs to AWS account 111122223333")
    assert result.stdout == ""


def test_access_denied_while_reading_is_one_line_exit_3(world: World, run: Callable[..., Result]) -> None:
    restricted_profile(
        world.clients,
        world.credentials,
        "asg-only",
        ["autoscaling:Describe*", "ec2:DescribeLaunchTemplateVersions", "sts:GetCallerIdentity"],
    )
    invoke = set_initial_no_auth_action_count(0)(
        lambda: run(world.root, "aws", "--profile", "asg-only", "drift", "clusterA")
    )
    result = invoke()
    assert result.exit_code == 3
    assert result.stderr.startswith("AWS denied listing the EBS volumes of clusterA (DescribeVolumes): ")
    assert result.stderr.count("\n") == 1


def test_the_drive_claim_is_the_one_the_chart_makes_for_the_drive_release() -> None:
    require(HELM.is_file(), f"helm not found at {HELM}")
    chart = REPO / "charts" / "nfs-drive"
    result = subprocess.run(
        [str(HELM), "template", DRIVE_RELEASE, str(chart), "--namespace", "datalab"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    statefulset = next(doc for doc in load_docs_text(result.stdout) if doc["kind"] == "StatefulSet")
    (template,) = statefulset["spec"]["volumeClaimTemplates"]
    # Kubernetes names a StatefulSet's claims <template>-<statefulset>-<ordinal>.
    assert f"{template['metadata']['name']}-{statefulset['metadata']['name']}-0" == DRIVE_CLAIM
    assert DRIVE_CLAIM == "data-drive-nfs-0"


def retiring(world: World, generation: str) -> None:
    text = world.cluster_file.read_text()
    world.cluster_file.write_text(
        text.replace("nodeGroups:\n", f'nodeGroups:\n  retiring: "{generation}"\n', 1)
    )


def drift_lines(world: World, run: Callable[..., Result]) -> list[str]:
    result = run(world.root, "aws", "drift", "clusterA")
    assert result.exit_code == 1, result.output
    return [line for line in result.stdout.splitlines() if line.startswith("  ")]


CONFIG = "gitops/eksctl/clusterA.yaml"


def names(world: World) -> list[str]:
    return [group.name for group in world.cluster.node_groups]


def test_a_new_generation_not_yet_created_is_drift_with_the_command_that_creates_it(
    world: World, run: Callable[..., Result]
) -> None:
    # Mid-upgrade: AWS still runs the 1.34 groups only; the input lists 1.35 beside them.
    for group in world.cluster.node_groups:
        world.clients.autoscaling.delete_auto_scaling_group(
            AutoScalingGroupName=world.groups[group.name], ForceDelete=True
        )
        create_group(world.clients, world.cluster, replace(group, generation="1.34"), suffix="OLD034")
    retiring(world, "1.34")
    assert drift_lines(world, run) == [
        f"  node group {name}-v1-35: Auto Scaling group: input present, AWS none; not created: run "
        f"`eksctl create nodegroup -f {CONFIG} --only-missing`"
        for name in names(world)
    ]


def test_an_old_generation_left_after_the_input_retired_it_is_drift_with_the_delete_command(
    world: World, run: Callable[..., Result]
) -> None:
    old = {
        group.name: create_group(
            world.clients, world.cluster, replace(group, generation="1.34"), suffix="OLD034"
        )
        for group in world.cluster.node_groups
    }
    assert drift_lines(world, run) == [
        f"  node group {name}-v1-34: generation: input 1.35, AWS 1.34 [{old[name]}]; an old generation the "
        "input retired: once no hub pod or server runs on its nodes (`kubectl get pods -A -o wide`, "
        f"`-l alpha.eksctl.io/nodegroup-name={name}-v1-34` for the nodes), run `eksctl delete nodegroup -f "
        f"{CONFIG} --only-missing --approve`"
        for name in sorted(names(world))
    ]
    # While the input still retires it, the old generation is expected (only checked to exist).
    retiring(world, "1.34")
    result = run(world.root, "aws", "drift", "clusterA")
    assert result.exit_code == 0, result.output


def test_a_retiring_generation_already_deleted_asks_to_end_the_retirement(
    world: World, run: Callable[..., Result]
) -> None:
    retiring(world, "1.34")
    assert drift_lines(world, run) == [
        f"  node group {name}-v1-34: Auto Scaling group: input present, AWS none; already deleted: remove "
        "nodeGroups.retiring from clusters/clusterA/cluster.yaml"
        for name in names(world)
    ]


def test_groups_made_before_generations_are_to_be_rotated_not_deleted(
    world: World, run: Callable[..., Result]
) -> None:
    core = world.cluster.node_group("core")
    plain = create_group(world.clients, world.cluster, replace(core, generation="unversioned"))
    assert drift_lines(world, run) == [
        f"  node group core: generation: input 1.35, AWS unversioned [{plain}]; made before hubfleet named "
        'generations: rotate it (set nodeGroups.retiring: unversioned; README, "Node-group generations")'
    ]
    retiring(world, "unversioned")
    lines = drift_lines(world, run)
    assert all("already deleted" in line for line in lines)
    assert [line.split(":")[0] for line in lines] == [
        f"  node group {n}" for n in names(world) if n != "core"
    ]


def test_a_newer_generation_than_the_input_is_said_to_come_from_an_unmerged_branch(
    world: World, run: Callable[..., Result]
) -> None:
    core = world.cluster.node_group("core")
    newer = create_group(world.clients, world.cluster, replace(core, generation="1.36"), suffix="NEW036")
    assert drift_lines(world, run) == [
        f"  node group core-v1-36: generation: input 1.35, AWS 1.36 [{newer}]; a newer generation than the "
        "input's: made from a branch that is not merged?"
    ]


def test_a_retiring_group_is_only_checked_to_exist(world: World, run: Callable[..., Result]) -> None:
    for group in world.cluster.node_groups:
        old = replace(group, generation="1.34", max_size=group.max_size + 3)
        create_group(world.clients, world.cluster, old, suffix="OLD034", instance_type="m5.large")
    retiring(world, "1.34")
    result = run(world.root, "aws", "drift", "clusterA")
    assert result.exit_code == 0, result.output


def test_a_cluster_never_rotated_is_told_to_rotate_not_to_create_beside_it(
    world: World, run: Callable[..., Result]
) -> None:
    # AWS has the plain-named groups eksctl made before generations; the input names 1.35 ones.
    plain = {}
    for group in world.cluster.node_groups:
        world.clients.autoscaling.delete_auto_scaling_group(
            AutoScalingGroupName=world.groups[group.name], ForceDelete=True
        )
        plain[group.name] = create_group(
            world.clients, world.cluster, replace(group, generation="unversioned")
        )
    lines = drift_lines(world, run)
    assert lines[: len(plain)] == [
        f"  node group {name}-v1-35: Auto Scaling group: input present, AWS none; {name} still runs: rotate first "
        f'(set nodeGroups.retiring: "unversioned", render, then `eksctl create nodegroup -f {CONFIG} --only-missing`)'
        for name in names(world)
    ]
    assert lines[len(plain) :] == [
        f"  node group {name}: generation: input 1.35, AWS unversioned [{plain[name]}]; made before hubfleet named "
        'generations: rotate it (set nodeGroups.retiring: unversioned; README, "Node-group generations")'
        for name in sorted(names(world))
    ]
