"""`hubfleet validate` as a command: output formats, exit codes, and usage errors (exit 2)."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from conftest import upstream_path
from hubfleet.cli import main
from hubfleet.inputs.pipeline import Scope
from hubfleet.system.project import Project
from hubfleet.validate.crds import crd_schemas
from hubfleet.validate.findings import Report, Tally
from hubfleet.validate.output import github_annotation
from hubfleet.write.pipeline import render_project
from support.validate import (
    copy_example,
    edit,
    line_of,
    require_environment,
    require_schemas,
    run_validate,
    schema_location,
    stale,
)

DRIVE = "hubs/clusterA/datalab/drive.yaml"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_environment()
    return copy_example(tmp_path_factory.mktemp("cli") / "project")


@pytest.fixture
def broken(example: Path, tmp_path: Path) -> Path:
    """The example with a drive outside the core zone (one lint finding) and so one stale file."""
    root = tmp_path / "project"
    shutil.copytree(example, root)
    edit(root / "gitops" / DRIVE, "zone: us-west-2b", "zone: us-west-2c")
    return root


def test_json_format(broken: Path) -> None:
    result = run_validate(broken, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    # The one warning: the example's images.lock has no digests here (no registry answers).
    assert report["failed"] == 2 and report["warnings"] == 1 and report["skipped"] == []
    (warning,) = [f for f in report["findings"] if f["severity"] == "warning"]
    assert (warning["path"], warning["layer"]) == ("images.lock", "lint")
    line = line_of(broken / "gitops" / DRIVE, "us-west-2c")
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert [(f["path"], f["line"], f["subject"], f["layer"]) for f in errors] == [
        (f"gitops/{DRIVE}", 1, "", "freshness"),
        (f"gitops/{DRIVE}", line, "HelmRelease/drive", "lint"),
        (f"gitops/{DRIVE}", line, "HelmRelease/drive", "lint"),
    ]


def test_github_format(broken: Path) -> None:
    result = run_validate(broken, "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"::error file=gitops/{DRIVE},line=1::" + stale(DRIVE).split(":1: ", 1)[1]
    line = line_of(broken / "gitops" / DRIVE, "us-west-2c")
    assert lines[1].startswith(
        f"::error file=gitops/{DRIVE},line={line},title=HelmRelease/drive::spec.values.zone: "
    )
    assert lines[-1].endswith(" passed, 2 failed, 1 warning")


def test_github_annotations_escape_what_github_would_misread() -> None:
    assert github_annotation("warning", "a,b:c.yaml", 0, "Kind/x", "50% done\nnext") == (
        "::warning file=a%2Cb%3Ac.yaml,title=Kind/x::50%25 done%0Anext"
    )


def test_unnamed_checks_are_counted_as_passed() -> None:
    freshness = Tally("freshness")
    freshness.passed_unnamed(3)
    freshness.fail("a.yaml", "gitops/a.yaml", 1, "", "stale")
    assert Report((freshness,)).summary() == "3 passed, 1 failed"


def test_unknown_cluster_is_a_usage_error(example: Path) -> None:
    result = run_validate(example, "clusterZ")
    assert result.exit_code == 2
    assert "clusters/clusterZ/cluster.yaml: no such cluster 'clusterZ' (clusters: clusterA)" in result.stderr


def test_invalid_input_stops_before_the_tree_is_looked_at(example: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(example, root)
    edit(root / "clusters/clusterA/hubs/datalab.yaml", "size: 40Gi", "size: 40GB")
    result = run_validate(root, "--format", "github")
    assert result.exit_code == 2
    line = line_of(root / "clusters/clusterA/hubs/datalab.yaml", "40GB")
    assert result.stdout.startswith(
        f"::error file=clusters/clusterA/hubs/datalab.yaml,line={line},title=drive.size::"
    )
    assert result.stderr.startswith(f"clusters/clusterA/hubs/datalab.yaml:{line}:")
    assert result.stderr.endswith("1 problem in the input; validation stopped at the inputs layer\n")


def test_without_a_schema_location_the_installed_schemas_are_used(example: Path) -> None:
    """No ../shared, no HUBFLEET_SCHEMA_LOCATION: kubernetes-validate's schemas and the shipped Flux,
    sealed-secrets and eksctl schemas check the whole example."""
    result = run_validate(example)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].endswith(" passed, 0 failed, 1 warning")


def test_the_reference_schemas_agree_with_the_installed_ones(example: Path, tmp_path: Path) -> None:
    """The tree checked against the reference folder's independent schema copies (built-in kinds and
    CRDs) passes too. Charts are skipped: the reference holds only the kinds the tree itself uses,
    and only for Kubernetes 1.32, so the example is rendered for 1.32 first (in extended support
    on the tests' date: a warning, not a finding)."""
    require_schemas()
    root = tmp_path / "project"
    shutil.copytree(example, root)
    edit(root / "clusters/clusterA/cluster.yaml", 'kubernetesVersion: "1.35"', 'kubernetesVersion: "1.32"')
    render_project(Project(root), Scope.select(Project(root), (), True))
    # The reference folder has no Calico kinds; its Calico CRD chart does (the tree's one Calico
    # object is hubfleet's drive policy).
    calico = tmp_path / "calico" / "crd-schemas"
    with tarfile.open(upstream_path("charts", "crd.projectcalico.org.v1-v3.32.1.tgz")) as package:
        member = package.extractfile(
            "crd.projectcalico.org.v1/templates/calico/crd.projectcalico.org_globalnetworkpolicies.yaml"
        )
        assert member is not None
        for (group, kind, version), schema in crd_schemas(YAML(typ="safe").load(member.read())).items():
            (calico / group).mkdir(parents=True)
            (calico / group / f"{kind.lower()}_{version}.json").write_text(json.dumps(schema))
    calico_location = str(calico / "{{ .Group }}" / "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")
    locations = ("--schema-location", str(schema_location()), "--schema-location", calico_location)
    result = run_validate(root, *locations, "--skip", "charts")
    assert result.exit_code == 0, result.output
    assert "Kubernetes 1.32 left EKS standard support on 2026-03-23" in result.output


def test_remote_schema_locations_are_refused(example: Path) -> None:
    result = run_validate(example, "--schema-location", "https://example.org/schemas")
    assert result.exit_code == 2
    assert "only local folders and files are read" in result.stderr


def test_missing_helm_is_a_usage_error(example: Path, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    runner = CliRunner()
    env = {"PATH": str(empty), "HUBFLEET_SCHEMA_LOCATION": str(Path.cwd())}
    result = runner.invoke(main, ["--root", str(example), "validate", "--backend", "jsonschema"], env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith("helm: needed for the charts layer but is neither in ")


def test_skipping_layers_is_said_in_the_summary(example: Path) -> None:
    result = run_validate(example, "--skip", "charts", "--skip", "flux")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].endswith(" passed, 0 failed, 1 warning (skipped: charts, flux)")
