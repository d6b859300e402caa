"""Every bad-input rule: its exact message, exit code 2, and nothing written.

Each test builds its own small project (tests/support/builders.py) and reads the expected `file:line:col`
from the file it wrote (`position_of`), so no test depends on the layout of the shipped example.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from ruamel.yaml import YAML

from conftest import snapshot
from support.builders import DELETE, apply_changes, make_cluster, position_of, write_yaml

CLUSTER = "clusters/clusterA/cluster.yaml"
HUB = "clusters/clusterA/hubs/datalab.yaml"


def located(root: Path, file: str, field: str, message: str, at: str | None = None) -> str:
    """The line a problem prints: `file:line:col: field: message`, positioned at the key of `at`
    (default: `field` itself) as it stands in the file the test wrote."""
    line, column = position_of(root / file, at or field)
    return f"{file}:{line}:{column}: {field}: {message}"


def change(path: Path, changes: Mapping[str, Any]) -> None:
    """Rewrite an input file with `changes` in the builders' form; unlike make_cluster's and
    make_hub's keyword overrides, this can also change `name`."""
    write_yaml(path, apply_changes(YAML(typ="safe").load(path.read_text()), changes))


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
        ("name", "clusterB", "'clusterB' must equal the folder name 'clusterA'"),
        (
            "coreZone",
            "us-west-2d",
            "'us-west-2d' is not one of zones (us-west-2a, us-west-2b, us-west-2c)",
        ),
        ("nodeGroups.user.minSize", 31, "31 is more than maxSize 30"),
        (
            "nodeGroups.core.desiredCapacity",
            11,
            "11 must be between minSize 1 and maxSize 10",
        ),
        ("kubernetesVersion", "1.22", "'1.22' is not a version eksctl v0.230.0 can create (1.30 to 1.35)"),
        (
            "kubernetesVersion",
            "v1.35",
            "'v1.35' is not a valid Kubernetes version (The EKS Kubernetes minor version, quoted, e.g. \"1.35\". It "
            "must be one eksctl can create and not past EKS extended support; a version in extended support is a "
            "validate warning (data/eks_versions.json).)",
        ),
        ("nodeGroups.user.maxSize", "thirty", "expected a whole number, found 'thirty'"),
        (
            "autoscaler.expander",
            "cheapest",
            "'cheapest' is not one of: least-waste, random, most-pods, price, priority, least-nodes",
        ),
    ],
)
def test_cluster_rules(
    tmp_path: Path, run: Callable[..., Result], field: str, value: Any, message: str
) -> None:
    project = make_cluster(tmp_path)
    change(project / CLUSTER, {field: value})
    expect_input_error(project, run, located(project, CLUSTER, field, message))


def test_zones_must_belong_to_the_region(tmp_path: Path, run: Callable[..., Result]) -> None:
    project = make_cluster(tmp_path, zones=["us-west-2a", "us-west-2b", "us-east-1c"])
    expect_input_error(
        project,
        run,
        located(
            project, CLUSTER, "zones[2]", "'us-east-1c' is not a zone of region us-west-2 (e.g. us-west-2a)"
        ),
    )


def test_misspelt_key_gets_a_did_you_mean(tmp_path: Path, run: Callable[..., Result]) -> None:
    project = make_cluster(tmp_path, **{"nodeGroups.user.maxSize": DELETE, "nodeGroups.user.maxSzie": 30})
    expect_input_error(
        project,
        run,
        located(project, CLUSTER, "nodeGroups.user.maxSzie", "unknown field (did you mean 'maxSize'?)"),
        located(
            project,
            CLUSTER,
            "nodeGroups.user.maxSize",
            "required field is missing (Most instances the autoscaler may start.)",
            at="nodeGroups.user",
        ),
    )


def test_every_error_is_reported_at_once(tmp_path: Path, run: Callable[..., Result]) -> None:
    project = make_cluster(tmp_path, region="Oregon", flux=DELETE, hubs={"datalab": {"drive.size": "lots"}})
    lines = expect_input_error(project, run)
    assert any("region: 'Oregon' is not a valid AWS region" in line for line in lines)
    assert any(
        line.endswith(
            "flux: required field is missing (The git repository Flux reconciles this cluster from (the flux-system GitRepository created by flux bootstrap).)"
        )
        for line in lines
    )
    assert lines[-1] == "2 problems in the input; nothing was written"


def test_unknown_cluster_is_named(tmp_path: Path, run: Callable[..., Result]) -> None:
    project = make_cluster(tmp_path)
    result = run(project, "render", "nope")
    assert result.exit_code == 2
    assert "clusters/nope/cluster.yaml: no such cluster 'nope' (clusters: clusterA)" in result.output


def test_bad_input_leaves_a_previous_tree_untouched(tmp_path: Path, run: Callable[..., Result]) -> None:
    project = make_cluster(tmp_path)
    assert run(project, "render", "clusterA").exit_code == 0
    change(project / CLUSTER, {"coreZone": "us-west-2d"})
    expect_input_error(
        project,
        run,
        located(
            project,
            CLUSTER,
            "coreZone",
            "'us-west-2d' is not one of zones (us-west-2a, us-west-2b, us-west-2c)",
        ),
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "data-lab"}, "name", "'data-lab' must equal the file name 'datalab'"),
        (
            {"user.cpu": {"guarantee": 3, "limit": 2}},
            "user.cpu.guarantee",
            "3 is more than the limit 2",
        ),
        (
            {"user.memory": {"guarantee": "8G", "limit": "4G"}},
            "user.memory.guarantee",
            "8G is more than the limit 4G",
        ),
        (
            {"user.memory": {"guarantee": "12G", "limit": "16G"}},
            "user.memory.guarantee",
            "12G does not fit a node of group user: t3a.large has 7452 MiB allocatable",
        ),
        (
            {"user.cpu": {"guarantee": 2, "limit": 2}},
            "user.cpu.guarantee",
            "2 does not fit a node of group user: t3a.large has 1.93 CPUs allocatable",
        ),
        (
            {"auth.type": "saml"},
            "auth.type",
            "'saml' is not one of: github, google, cilogon, oidc, lti13, lti11, shared-password, native, dummy",
        ),
        ({"state": "archived"}, "state", "'archived' is not one of: active, retired"),
    ],
)
def test_hub_rules(
    tmp_path: Path, run: Callable[..., Result], changes: dict[str, Any], field: str, message: str
) -> None:
    project = make_cluster(tmp_path, hubs={"datalab": {}})
    change(project / HUB, changes)
    expect_input_error(project, run, located(project, HUB, field, message))


def test_hub_named_like_an_infrastructure_namespace(tmp_path: Path, run: Callable[..., Result]) -> None:
    project = make_cluster(tmp_path, hubs={"kube-system": {}})
    expect_input_error(
        project,
        run,
        located(
            project,
            "clusters/clusterA/hubs/kube-system.yaml",
            "name",
            "'kube-system' is an infrastructure namespace "
            "(calico-system, cert-manager, default, flux-system, kube-node-lease, kube-public, kube-system, "
            "monitoring, nginx-ingress, tigera-operator); pick another name",
        ),
    )


def test_two_files_for_one_hub(tmp_path: Path, run: Callable[..., Result]) -> None:
    project = make_cluster(tmp_path, hubs={"datalab": {}})
    second = "clusters/clusterA/hubs/datalab.yml"
    shutil.copyfile(project / HUB, project / second)
    expect_input_error(project, run, located(project, second, "name", "'datalab' is already used by " + HUB))


def test_drives_must_fit_the_core_nodes_attachment_limit(tmp_path: Path, run: Callable[..., Result]) -> None:
    # 13 hubs, one of them retired: 13 drives and 12 database volumes.
    hubs: dict[str, dict[str, Any]] = {f"class{index}": {} for index in range(12)}
    hubs["oldclass"] = {"state": "retired"}
    project = make_cluster(
        tmp_path, hubs=hubs, nodeGroups__core__maxSize=1, nodeGroups__core__desiredCapacity=1
    )
    expect_input_error(
        project,
        run,
        located(
            project,
            CLUSTER,
            "nodeGroups.core.maxSize",
            "13 hubs need 25 EBS volumes on core nodes (a drive each, "
            "and a database volume per active hub); 1 x t3a.medium can attach 24 (24 per node beside its root volume "
            "and network interfaces): raise maxSize "
            "or use a bigger core instance type",
        ),
    )


def test_hub_names_may_not_start_with_system(tmp_path: Path, run: Callable[..., Result]) -> None:
    project = make_cluster(tmp_path, hubs={"system-lab": {}})
    expect_input_error(
        project,
        run,
        located(
            project,
            "clusters/clusterA/hubs/system-lab.yaml",
            "name",
            "'system-lab' starts with 'system-', which Kubernetes reserves",
        ),
    )
