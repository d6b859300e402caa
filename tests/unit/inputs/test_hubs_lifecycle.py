"""Retiring hubs, scaffolding files, and our chart templated with every example hub's values."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conftest import HELM, REPO, load_docs, load_docs_text, require, schema_errors, snapshot
from hubfleet.inputs.pipeline import load_cluster
from hubfleet.system.project import Project
from support.builders import make_cluster
from support.validate import copy_example


def test_retire_keeps_the_drive_and_removes_the_hub(rendered: Path, run: Callable[..., Result]) -> None:
    hub_file = rendered / "clusters/clusterA/hubs/datalab.yaml"
    before = hub_file.read_text()
    result = run(rendered, "hub", "retire", "clusterA", "datalab")
    assert result.exit_code == 0, result.output
    after = hub_file.read_text()
    assert after == before + "state: retired\n"
    # retire renders, as drive grow does: the tree is committed with the hub file.
    assert "removed gitops/hubs/clusterA/datalab/jupyterhub.yaml" in result.output
    assert result.output.splitlines()[-3] == "datalab retired; commit and push. The drive and its data stay."
    assert run(rendered, "render", "--check").exit_code == 0
    assert (rendered / "gitops/hubs/clusterA/datalab/drive.yaml").is_file()
    again = run(rendered, "hub", "retire", "clusterA", "datalab")
    assert "datalab was already retired" in again.output


def test_drive_grow_edits_the_hub_file_and_renders_a_bigger_claim(
    rendered: Path, run: Callable[..., Result]
) -> None:
    hub_file = rendered / "clusters/clusterA/hubs/datalab.yaml"
    before = hub_file.read_text()
    result = run(rendered, "drive", "grow", "clusterA", "datalab", "60Gi")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "changed gitops/hubs/clusterA/datalab/drive.yaml",
        "datalab: drive 40Gi -> 60Gi in clusters/clusterA/hubs/datalab.yaml; commit and push: Flux grows the "
        "volume and its file system online, servers keep running",
    ]
    # Only the size changed: comments and everything else are kept.
    assert hub_file.read_text() == before.replace("  size: 40Gi\n", '  size: "60Gi"\n')
    (release,) = load_docs(rendered / "gitops/hubs/clusterA/datalab/drive.yaml")
    assert release["spec"]["values"]["size"] == "60Gi"


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (
            "40Gi",
            "SIZE: hub datalab's drive is 40Gi already; a drive only grows (EBS volumes cannot shrink)\n",
        ),
        (
            "20Gi",
            "SIZE: hub datalab's drive is 40Gi already; a drive only grows (EBS volumes cannot shrink)\n",
        ),
        ("lots", "SIZE: 'lots' is not a drive size (whole Gi or Ti, e.g. 200Gi)\n"),
    ],
)
def test_drive_grow_refuses(rendered: Path, run: Callable[..., Result], size: str, message: str) -> None:
    before = snapshot(rendered)
    result = run(rendered, "drive", "grow", "clusterA", "datalab", size)
    assert (result.exit_code, result.output) == (2, message)
    assert snapshot(rendered) == before


def test_a_drive_never_shrinks(rendered: Path, run: Callable[..., Result]) -> None:
    hub_file = rendered / "clusters/clusterA/hubs/datalab.yaml"
    hub_file.write_text(hub_file.read_text().replace("  size: 40Gi\n", "  size: 20Gi\n"))
    before = snapshot(rendered / "gitops")
    result = run(rendered, "render", "clusterA")
    assert (result.exit_code, result.output) == (
        2,
        "clusters/clusterA/hubs/datalab.yaml:7:3: drive.size: 20Gi is smaller than the drive's 40Gi "
        "(gitops/hubs/clusterA/datalab/drive.yaml); EBS volumes cannot shrink: keep 40Gi or more, or copy the "
        "data to a new drive\n1 problem in the input; nothing was written\n",
    )
    assert snapshot(rendered / "gitops") == before


def test_retire_an_unknown_hub(rendered: Path, run: Callable[..., Result]) -> None:
    result = run(rendered, "hub", "retire", "clusterA", "nope")
    assert result.exit_code == 2
    assert (
        "cluster clusterA has no hub 'nope' (hubs: bio150, chem200-2025, datalab, physics101)"
        in result.output
    )


def test_scaffolds_validate_as_written_and_refuse_to_overwrite(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    (tmp_path / "clusters").mkdir()
    result = run(
        tmp_path,
        "new",
        "cluster",
        "labs",
        "--region",
        "eu-west-1",
        "--domain",
        "labs.example.edu",
        "--account-id",
        "123456789012",
        "--zone-id",
        "Z0EXAMPLE1",
        "--acme-email",
        "ops@example.edu",
    )
    assert result.exit_code == 0, result.output
    result = run(
        tmp_path, "new", "hub", "labs", "bio1", "--size", "20Gi", "--admin", "prof-kim", "--admin", "ta@x.edu"
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "seal prof-kim's initial password: hubfleet seal auth labs bio1 --admin prof-kim",
        "seal ta@x.edu's initial password: hubfleet seal auth labs bio1 --admin ta@x.edu",
    ]
    scaffold = (tmp_path / "clusters/labs/hubs/bio1.yaml").read_text()
    assert "size: 20Gi" in scaffold and '  admins: ["prof-kim", "ta@x.edu"]\n' in scaffold
    assert "#" in (tmp_path / "clusters/labs/cluster.yaml").read_text()
    assert run(tmp_path, "render", "--all").exit_code == 0
    assert (tmp_path / "gitops/hubs/labs/bio1/jupyterhub.yaml").is_file()
    before = snapshot(tmp_path / "clusters")
    for args in (
        (
            "new",
            "cluster",
            "labs",
            "--region",
            "eu-west-1",
            "--domain",
            "x.example.edu",
            "--account-id",
            "123456789012",
            "--zone-id",
            "Z0EXAMPLE1",
            "--acme-email",
            "ops@example.edu",
        ),
        ("new", "hub", "labs", "bio1", "--admin", "prof-kim"),
    ):
        result = run(tmp_path, *args)
        assert result.exit_code == 2
        assert "already exists; refusing to overwrite it" in result.output
    assert snapshot(tmp_path / "clusters") == before


NEW_CLUSTER = ("new", "cluster", "labs", "--region", "eu-west-1", "--domain", "labs.example.edu",
               "--account-id", "123456789012", "--zone-id", "Z0EXAMPLE1", "--acme-email", "ops@example.edu")  # fmt: skip


def test_new_hub_scaffolds_every_login_type_with_its_required_fields(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    """Each --auth type writes a hub that renders as written, with the login the type names and the
    expectedUsers plan capacity sizes for."""
    (tmp_path / "clusters").mkdir()
    assert run(tmp_path, *NEW_CLUSTER).exit_code == 0
    types = ["native", "shared-password", "github", "google", "cilogon", "oidc", "lti13", "lti11"]
    for auth in types:
        admins = () if auth in ("oidc", "lti13") else ("--admin", "prof-kim")
        result = run(tmp_path, "new", "hub", "labs", f"h-{auth}", "--auth", auth, *admins)
        assert result.exit_code == 0, result.output
    assert run(tmp_path, "render").exit_code == 0
    hubs = {hub.name: hub for hub in load_cluster(Project(tmp_path), "labs").hubs}
    assert {name: hub.auth.type for name, hub in hubs.items()} == {f"h-{auth}": auth for auth in types}
    assert {hub.expected_users for hub in hubs.values()} == {30}
    for auth in types:
        assert (tmp_path / f"gitops/hubs/labs/h-{auth}/jupyterhub.yaml").is_file()


def test_validate_refuses_the_values_a_scaffold_leaves_to_replace(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    (tmp_path / "clusters").mkdir()
    assert run(tmp_path, *NEW_CLUSTER).exit_code == 0
    assert run(tmp_path, "new", "hub", "labs", "gh", "--auth", "github", "--admin", "prof-kim").exit_code == 0
    assert run(tmp_path, "render").exit_code == 0
    result = run(
        tmp_path,
        "validate",
        *(a for layer in ("charts", "objects", "flux", "eksctl") for a in ("--skip", layer)),
    )
    found = [line for line in result.stdout.splitlines() if "placeholder `hubfleet new hub`" in line]
    assert found == [
        "clusters/labs/hubs/gh.yaml:11: auth.clientId: Ov23liReplaceMe is a placeholder `hubfleet new hub` wrote; "
        "replace it with your provider's value",
        "clusters/labs/hubs/gh.yaml:14: auth.allowed.organizations[0]: replace-with-your-org is a placeholder "
        "`hubfleet new hub` wrote; replace it with your provider's value",
    ]
    hub = tmp_path / "clusters/labs/hubs/gh.yaml"
    hub.write_text(
        hub.read_text().replace("Ov23liReplaceMe", "Ov23liA1b2C3").replace("replace-with-your-org", "osu-ds")
    )
    again = run(
        tmp_path,
        "validate",
        *(a for layer in ("charts", "objects", "flux", "eksctl") for a in ("--skip", layer)),
    )
    assert not [line for line in again.stdout.splitlines() if "placeholder `hubfleet new hub`" in line]


def test_new_hub_refuses_an_unknown_login_and_misplaced_admins(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    (tmp_path / "clusters").mkdir()
    assert run(tmp_path, *NEW_CLUSTER).exit_code == 0
    unknown = run(tmp_path, "new", "hub", "labs", "x", "--auth", "saml")
    assert unknown.exit_code == 2
    assert unknown.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--auth': 'saml' is not one of 'native', 'shared-password', 'github', "
        "'google', 'cilogon', 'oidc', 'lti13', 'lti11'."
    )
    needs = run(tmp_path, "new", "hub", "labs", "x", "--auth", "github")
    assert needs.stderr == "--admin: --auth github needs at least one admin (repeat --admin for several)\n"
    takes = run(tmp_path, "new", "hub", "labs", "x", "--auth", "lti13", "--admin", "a")
    assert takes.stderr == (
        "--admin: --auth lti13 takes its admins from the provider's groups or roles, not --admin\n"
    )
    assert (
        not (tmp_path / "clusters/labs/hubs").exists()
        or list((tmp_path / "clusters/labs/hubs").iterdir()) == []
    )


def refused_render(root: Path, run: Callable[..., Result]) -> str:
    """What a render that refuses says; it leaves the tree as it was."""
    before = snapshot(root / "gitops")
    result = run(root, "render")
    assert result.exit_code == 2, result.output
    assert snapshot(root / "gitops") == before
    return result.stderr


def test_render_refuses_an_active_hubs_vanished_file_until_it_is_retired(
    rendered: Path, run: Callable[..., Result]
) -> None:
    hub = rendered / "clusters/clusterA/hubs/datalab.yaml"
    text = hub.read_text()
    hub.unlink()
    assert refused_render(rendered, run) == (
        "clusters/clusterA/hubs/datalab.yaml: the hub file is removed while the hub is active: its drive and "
        "every user's files would be orphaned; retire it first (`hubfleet hub retire clusterA datalab`), merge, "
        "and remove the file in a later change\n1 problem in the input; nothing was written\n"
    )
    hub.write_text(text)
    assert run(rendered, "hub", "retire", "clusterA", "datalab").exit_code == 0
    hub.unlink()
    removed = run(rendered, "render")
    assert removed.exit_code == 0, removed.output
    assert "removed gitops/hubs/clusterA/datalab/drive.yaml" in removed.output.splitlines()


def test_a_removed_hubs_login_secret_must_go_with_it(tmp_path: Path, run: Callable[..., Result]) -> None:
    """Left behind, it would be applied with the infrastructure into a namespace nobody makes."""
    root = copy_example(tmp_path / "fleet")
    assert run(root, "hub", "retire", "clusterA", "datalab").exit_code == 0
    (root / "clusters/clusterA/hubs/datalab.yaml").unlink()
    assert refused_render(root, run) == (
        "clusters/clusterA/secrets/auth.datalab.sealedsecret.yaml:7:3: metadata.namespace: sealed for namespace "
        "datalab, which nothing of clusterA makes (its hubs, monitoring when monitoring is on, nginx-ingress); a "
        "removed hub's secret: delete the file\n1 problem in the input; nothing was written\n"
    )
    (root / "clusters/clusterA/secrets/auth.datalab.sealedsecret.yaml").unlink()
    assert run(root, "render").exit_code == 0
    assert not (root / "gitops/hubs/clusterA/datalab").exists()


def test_a_scaffold_that_would_be_invalid_is_not_written(tmp_path: Path, run: Callable[..., Result]) -> None:
    (tmp_path / "clusters").mkdir()
    result = run(
        tmp_path,
        "new",
        "cluster",
        "labs",
        "--region",
        "Ireland",
        "--domain",
        "labs.example.edu",
        "--account-id",
        "123456789012",
        "--zone-id",
        "Z0EXAMPLE1",
        "--acme-email",
        "ops@example.edu",
    )
    assert result.exit_code == 2
    assert result.output == (
        "--region: 'Ireland' is not a valid AWS region (The AWS region of the cluster, e.g. us-west-2.)\n"
    )
    assert not (tmp_path / "clusters/labs").exists()


@pytest.mark.parametrize("hub", ["physics101", "datalab", "chem200-2025"])
def test_nfs_drive_chart_templates_with_each_example_hubs_values(
    tmp_path: Path, upstream: Path, hub: str
) -> None:
    require(HELM.is_file(), "helm is not installed; run `make tools`")
    (release,) = load_docs(REPO / "gitops/hubs/clusterA" / hub / "drive.yaml")
    values = tmp_path / "values.json"
    values.write_text(json.dumps(release["spec"]["values"]))
    result = subprocess.run(
        [
            str(HELM),
            "template",
            release["spec"]["releaseName"],
            str(REPO / "charts/nfs-drive"),
            "--namespace",
            release["metadata"]["namespace"],
            "-f",
            str(values),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    docs = load_docs_text(result.stdout)
    assert {d["kind"] for d in docs} >= {
        "StatefulSet",
        "Service",
        "PodDisruptionBudget",
        "PersistentVolume",
        "PersistentVolumeClaim",
    }
    for doc in docs:
        assert schema_errors(doc) == [], doc["kind"]
    claims = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PersistentVolumeClaim"}
    assert sorted(claims) == ["data-drive-nfs-0", "home"]
    assert {claim["metadata"]["namespace"] for claim in claims.values()} == {hub}


def test_a_drive_grow_the_inputs_refuse_never_touches_the_file(
    rendered: Path, run: Callable[..., Result]
) -> None:
    """The edit is checked in memory (inputs.edit.edit_checked): a size the schema refuses is
    reported at the hub file, which is never replaced, not even for a moment."""
    hub_file = rendered / "clusters/clusterA/hubs/datalab.yaml"
    before = hub_file.stat()
    result = run(rendered, "drive", "grow", "clusterA", "datalab", "17Ti")
    assert (result.exit_code, result.output) == (
        2,
        "clusters/clusterA/hubs/datalab.yaml:7:3: drive.size: '17Ti' is not a valid drive size (Size of the EBS "
        "volume, e.g. 40Gi, at most 16Ti (16384Gi, what a gp3 volume holds). It may grow (hubfleet drive grow), "
        "never shrink.)\n1 problem in the input; nothing was written\n",
    )
    after = hub_file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_new_hub_never_writes_through_a_folder_that_leads_out_of_the_project(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    """The pending file is refused as a written one would be (`load_file`): not written there."""
    root = make_cluster(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / "clusters/clusterA/hubs").symlink_to(outside)
    result = run(root, "new", "hub", "clusterA", "h9", "--admin", "prof")
    assert (result.exit_code, result.output) == (
        2,
        "clusters/clusterA/hubs/h9.yaml: is a symlink to a place outside the project; hubfleet reads only "
        "files inside it (copy the file in)\n1 problem in the input; nothing was written\n",
    )
    assert list(outside.iterdir()) == []


def test_a_new_file_that_cannot_be_written_is_named_as_the_input(
    rendered: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path, text: str) -> None:
        raise PermissionError(13, "Permission denied", str(path.with_name(".hubfleet-staging-x")))

    monkeypatch.setattr("hubfleet.inputs.edit.write_atomic", refuse)
    result = run(rendered, "new", "hub", "clusterA", "h2", "--admin", "prof")
    assert (result.exit_code, result.output) == (
        2,
        "clusters/clusterA/hubs/h2.yaml: cannot write it: Permission denied\n",
    )


def test_a_new_file_gets_the_mode_the_umask_gives(rendered: Path, run: Callable[..., Result]) -> None:
    previous = os.umask(0o077)
    try:
        result = run(rendered, "new", "hub", "clusterA", "h3", "--admin", "prof")
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert (rendered / "clusters/clusterA/hubs/h3.yaml").stat().st_mode & 0o777 == 0o600
