"""The shared layer: each fact defined once and read the same way by every stage."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from jsonschema import Draft202012Validator

from hubfleet.core.capacity import VolumeFit, instance_type
from hubfleet.core.charts import UPSTREAM_CHARTS
from hubfleet.core.layout import Layout, Owner
from hubfleet.core.package_data import input_schema
from hubfleet.core.schema_errors import describe
from hubfleet.inputs.pipeline import Scope, load_project
from hubfleet.render.tree import render_cluster_tree
from hubfleet.system.project import Project
from hubfleet.system.yaml_reader import describe_yaml_error, loader
from support.builders import make_cluster


def test_every_rendered_path_is_owned_by_its_cluster(tmp_path: Path) -> None:
    root = make_cluster(tmp_path, name="clusterB", hubs={"physics": {}})
    project = Project(root)
    [cluster] = load_project(project, Scope(("clusterB",), False))
    layout = Layout()
    files = render_cluster_tree(cluster, layout, ())
    owners = {file.path: layout.owner(file.path) for file in files}
    assert all(owner is not None and owner.cluster == "clusterB" for owner in owners.values())
    assert owners["hubs/clusterB/physics/drive.yaml"] == Owner("clusterB", "hubs/physics")
    assert owners["eksctl/clusterB.yaml"] == Owner("clusterB", "eksctl")
    assert owners["infrastructure/clusterB/ingress/kustomization.yaml"] == Owner(
        "clusterB", "infrastructure/ingress"
    )
    # Every rendered file lies inside what the writer may delete for the cluster.
    scopes = layout.owned_scopes("clusterB")
    assert all(any(path == s or (s.endswith("/") and path.startswith(s)) for s in scopes) for path in owners)


def test_flux_bootstrap_folders_belong_to_nobody() -> None:
    assert Layout().owner("clusters/clusterB/flux-system/gotk-sync.yaml") is None
    assert Layout().owner("README.md") is None


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        (None, "./gitops/hubs/c"),
        ("build/tree", "./build/tree/hubs/c"),
        ("../elsewhere/gitops", "./gitops/hubs/c"),
    ],
)
def test_flux_paths_follow_the_output_folder(tmp_path: Path, out: str | None, expected: str) -> None:
    root = tmp_path / "project"
    root.mkdir()
    layout = Layout.for_output(root, None if out is None else root / out)
    assert layout.flux_path(layout.hubs_dir("c")) == expected


def test_render_out_writes_flux_paths_that_point_at_the_tree(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_cluster(tmp_path, name="clusterB")
    result = run(root, "render", "clusterB", "--out", str(root / "build"))
    assert result.exit_code == 0, result.output
    assert 'path: "./build/hubs/clusterB"' in (root / "build/clusters/clusterB/hubs.yaml").read_text()
    assert "added   build/hubs/clusterB/kustomization.yaml" in result.output.splitlines()


def test_one_wording_for_inputs_and_rendered_objects() -> None:
    schema = {"type": "object", "properties": {"size": {"type": "integer"}}, "additionalProperties": False}
    [error] = Draft202012Validator(schema).iter_errors({"size": "big"})
    assert [str(issue) for issue in describe(error)] == ["size: expected a whole number, found 'big'"]
    [error] = Draft202012Validator(schema).iter_errors({"sise": 1})
    assert [str(issue) for issue in describe(error)] == ["sise: unknown field (did you mean 'size'?)"]


def test_duplicate_keys_are_worded_once() -> None:
    try:
        loader().load("a: 1\na: 2\n")
    except Exception as error:  # the loader's own exception type
        syntax = describe_yaml_error(error, "a: 1\na: 2\n")  # type: ignore[arg-type]
    assert (syntax.line, syntax.message) == (2, "duplicate key 'a'")


def test_the_chart_table_is_the_input_schema_of_charts() -> None:
    properties = input_schema("cluster")["properties"]["charts"]["properties"]
    assert list(properties) == [chart.key for chart in UPSTREAM_CHARTS]


def test_volume_fit_counts_slots_beside_root_volume_and_network_interfaces() -> None:
    facts = instance_type("t3a.medium")
    assert facts is not None
    # 28 shared attachment slots, one root volume, three network interfaces.
    assert facts.drive_slots == facts.ebs_attachment_limit - 1 - facts.max_enis == 24
    assert VolumeFit(12, 24, 1, facts).fits
    assert not VolumeFit(13, 25, 1, facts).fits


def test_readme_states_the_slots_the_table_gives() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    facts = instance_type("t3a.medium")
    assert facts is not None
    assert f"{facts.ebs_attachment_limit} shared slots, {facts.drive_slots} left for volumes" in readme


def test_two_files_at_one_path_is_a_hubfleet_bug_exit_4(tmp_path: Path) -> None:
    from hubfleet.errors import EXIT_TOOL, ToolError
    from hubfleet.render.common import OutputFile
    from hubfleet.write.tree import plan_render

    twice = [OutputFile("hubs/c/a.yaml", "x.yaml", [{"a": 1}]), OutputFile("hubs/c/a.yaml", "y.yaml", [])]
    with pytest.raises(ToolError) as raised:
        plan_render(tmp_path, "gitops", twice, ())
    assert raised.value.exit_code == EXIT_TOOL == 4
    assert raised.value.message == (
        "hubfleet render: two inputs render the same file gitops/hubs/c/a.yaml; this is a bug in hubfleet, "
        "please report it with the inputs"
    )


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("", "--out .: is the project root; name a folder of its own, e.g. --out build/gitops\n"),
        (
            "clusters/x",
            "--out clusters/x: is inside clusters/; name a folder of its own, e.g. --out build/gitops\n",
        ),
        ("/dev/null", "--out /dev/null: is not a folder\n"),
    ],
)
def test_out_must_be_a_folder_of_its_own(
    out: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Callable[..., Result]
) -> None:
    root = make_cluster(tmp_path, name="clusterB")
    monkeypatch.chdir(root)
    result = run(root, "render", "clusterB", "--out", out)
    assert (result.exit_code, result.output) == (2, message)
    assert not (root / "clusters/x").exists() and not (root / "eksctl").exists()
