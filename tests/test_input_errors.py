"""Every bad-input rule: its exact message, exit code 2, and nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from conftest import DELETE, set_field, snapshot

CLUSTER = "clusters/clusterA/cluster.yaml"


def expect_input_error(project: Path, run: Callable[..., Result], *expected: str) -> list[str]:
    before = snapshot(project / "gitops")
    result = run(project, "render", "clusterA")
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    for line in expected:
        assert line in lines, f"{line!r} not in:\n{result.output}"
    assert lines[-1].endswith("nothing was written")
    assert snapshot(project / "gitops") == before
    return lines


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "clusterB", f"{CLUSTER}:3:1: name: 'clusterB' must equal the folder name 'clusterA'"),
        (
            "coreZone",
            "us-west-2d",
            f"{CLUSTER}:9:1: coreZone: 'us-west-2d' is not one of zones (us-west-2a, us-west-2b, us-west-2c)",
        ),
        (
            "nodeGroups.user.minSize",
            31,
            f"{CLUSTER}:26:5: nodeGroups.user.minSize: 31 is more than maxSize 30",
        ),
        (
            "nodeGroups.core.desiredCapacity",
            11,
            f"{CLUSTER}:22:5: nodeGroups.core.desiredCapacity: 11 must be between minSize 1 and maxSize 10",
        ),
        (
            "kubernetesVersion",
            "1.22",
            f"{CLUSTER}:6:1: kubernetesVersion: '1.22' is not a valid Kubernetes version (The EKS Kubernetes minor version, quoted, e.g. \"1.32\".)",
        ),
        (
            "nodeGroups.user.maxSize",
            "thirty",
            f"{CLUSTER}:27:5: nodeGroups.user.maxSize: expected a whole number, found 'thirty'",
        ),
        ("autoscaler", {"expander": "cheapest"}, None),
    ],
)
def test_cluster_rules(
    project: Path, run: Callable[..., Result], field: str, value: Any, message: str | None
) -> None:
    set_field(project / CLUSTER, field, value)
    if message is None:
        lines = expect_input_error(project, run)
        assert (
            "autoscaler.expander: 'cheapest' is not one of: least-waste, random, most-pods, price, priority, least-nodes"
            in lines[0]
        )
    else:
        expect_input_error(project, run, message)


def test_zones_must_belong_to_the_region(project: Path, run: Callable[..., Result]) -> None:
    set_field(project / CLUSTER, "zones", ["us-west-2a", "us-west-2b", "us-east-1c"])
    expect_input_error(
        project,
        run,
        f"{CLUSTER}:11:3: zones[2]: 'us-east-1c' is not a zone of region us-west-2 (e.g. us-west-2a)",
    )


def test_misspelt_key_gets_a_did_you_mean(project: Path, run: Callable[..., Result]) -> None:
    text = (project / CLUSTER).read_text().replace("    maxSize: 30\n", "    maxSzie: 30\n")
    (project / CLUSTER).write_text(text)
    expect_input_error(
        project,
        run,
        f"{CLUSTER}:27:5: nodeGroups.user.maxSzie: unknown field (did you mean 'maxSize'?)",
        f"{CLUSTER}:24:3: nodeGroups.user.maxSize: required field is missing (Most instances the autoscaler may start.)",
    )


def test_every_error_is_reported_at_once(project: Path, run: Callable[..., Result]) -> None:
    set_field(project / CLUSTER, "region", "Oregon")
    set_field(project / CLUSTER, "flux", DELETE)
    set_field(project / "clusters/clusterA/hubs/datalab.yaml", "drive.size", "lots")
    lines = expect_input_error(project, run)
    assert any("region: 'Oregon' is not a valid AWS region" in line for line in lines)
    assert any(
        line.endswith(
            "flux: required field is missing (The git repository Flux reconciles this cluster from (the flux-system GitRepository created by flux bootstrap).)"
        )
        for line in lines
    )
    assert lines[-1] == "2 problems in the input; nothing was written"


def test_unknown_cluster_is_named(project: Path, run: Callable[..., Result]) -> None:
    result = run(project, "render", "nope")
    assert result.exit_code == 2
    assert "clusters/nope/cluster.yaml: no such cluster 'nope' (clusters: clusterA)" in result.output


def test_bad_input_leaves_a_previous_tree_untouched(project: Path, run: Callable[..., Result]) -> None:
    assert run(project, "render", "clusterA").exit_code == 0
    set_field(project / CLUSTER, "coreZone", "us-west-2d")
    expect_input_error(project, run)


HUB = "clusters/clusterA/hubs/datalab.yaml"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "data-lab", f"{HUB}:2:1: name: 'data-lab' must equal the file name 'datalab'"),
        (
            "user.cpu",
            {"guarantee": 3, "limit": 2},
            f"{HUB}:13:5: user.cpu.guarantee: 3 is more than the limit 2",
        ),
        (
            "user.memory",
            {"guarantee": "8G", "limit": "4G"},
            f"{HUB}:13:5: user.memory.guarantee: 8G is more than the limit 4G",
        ),
        (
            "user.memory",
            {"guarantee": "12G", "limit": "16G"},
            f"{HUB}:13:5: user.memory.guarantee: 12G does not fit any user node: t3a.large has 7452 MiB allocatable",
        ),
        (
            "user.cpu",
            {"guarantee": 2, "limit": 2},
            f"{HUB}:13:5: user.cpu.guarantee: 2 does not fit any user node: t3a.large has 1.93 CPUs allocatable",
        ),
        ("auth.type", "github", f"{HUB}:6:3: auth.type: 'github' is not one of: native, dummy"),
        ("state", "archived", f"{HUB}:12:1: state: 'archived' is not one of: active, retired"),
    ],
)
def test_hub_rules(project: Path, run: Callable[..., Result], field: str, value: Any, message: str) -> None:
    set_field(project / HUB, field, value)
    expect_input_error(project, run, message)


def test_hub_named_like_an_infrastructure_namespace(project: Path, run: Callable[..., Result]) -> None:
    path = project / "clusters/clusterA/hubs/kube-system.yaml"
    path.write_text("name: kube-system\ndrive: {size: 10Gi}\nauth: {type: dummy}\n")
    expect_input_error(
        project,
        run,
        "clusters/clusterA/hubs/kube-system.yaml:1:1: name: 'kube-system' is an infrastructure namespace "
        "(default, flux-system, kube-node-lease, kube-public, kube-system, nginx-ingress); pick another name",
    )


def test_two_files_for_one_hub(project: Path, run: Callable[..., Result]) -> None:
    (project / "clusters/clusterA/hubs/datalab.yml").write_text((project / HUB).read_text())
    expect_input_error(
        project, run, "clusters/clusterA/hubs/datalab.yml:2:1: name: 'datalab' is already used by " + HUB
    )


def test_drives_must_fit_the_core_nodes_attachment_limit(project: Path, run: Callable[..., Result]) -> None:
    set_field(project / CLUSTER, "nodeGroups.core.maxSize", 1)
    set_field(project / CLUSTER, "nodeGroups.core.desiredCapacity", 1)
    hubs = project / "clusters/clusterA/hubs"
    for index in range(10):
        (hubs / f"class{index}.yaml").write_text(
            f"name: class{index}\ndrive: {{size: 10Gi}}\nauth: {{type: dummy}}\n"
        )
    expect_input_error(
        project,
        run,
        f"{CLUSTER}:21:5: nodeGroups.core.maxSize: 13 hubs need 25 EBS volumes on core nodes (a drive each, "
        "and a database volume per active hub), but 1 x t3a.medium can attach 24 (24 per node); raise maxSize "
        "or use a bigger core instance type",
    )


def test_hub_names_may_not_start_with_system(project: Path, run: Callable[..., Result]) -> None:
    path = project / "clusters/clusterA/hubs/system-lab.yaml"
    path.write_text("name: system-lab\ndrive: {size: 10Gi}\nauth: {type: dummy}\n")
    expect_input_error(
        project,
        run,
        "clusters/clusterA/hubs/system-lab.yaml:1:1: name: 'system-lab' starts with 'system-', which Kubernetes reserves",
    )
