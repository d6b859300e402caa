"""The sharded pull-request job: `validate --shards` names the clusters a change touches, and
`validate --fleet` runs only the checks that span clusters."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conftest import set_field
from support.builders import make_cluster
from unit.planning.test_plan import commit, git


@pytest.fixture
def fleet(tmp_path: Path, run: Callable[..., Result]) -> Path:
    """Two clusters, rendered and committed on main."""
    root = make_cluster(tmp_path, "east", hubs={"course": {}})
    make_cluster(tmp_path, "west", hubs={"lab": {}})
    assert run(root, "render").exit_code == 0
    (root / "charts.lock").write_text("charts: []\n")
    git(root, "init", "-q", "-b", "main")
    commit(root, "base")
    return root


def shards(run: Callable[..., Result], root: Path, *args: str) -> list[str]:
    result = run(root, "validate", "--shards", *args)
    assert result.exit_code == 0, result.output
    found: list[str] = json.loads(result.stdout)["cluster"]
    return found


def test_without_a_base_every_cluster_is_a_shard(fleet: Path, run: Callable[..., Result]) -> None:
    assert shards(run, fleet) == ["east", "west"]
    assert shards(run, fleet, "--base", "main") == []


def test_a_change_to_one_cluster_validates_that_cluster(fleet: Path, run: Callable[..., Result]) -> None:
    git(fleet, "checkout", "-q", "-b", "change")
    hub = fleet / "clusters/west/hubs/lab.yaml"
    set_field(hub, "drive.size", "12Gi")
    assert shards(run, fleet, "--base", "main") == ["west"]
    assert run(fleet, "render").exit_code == 0
    commit(fleet, "west grows")
    assert shards(run, fleet, "--base", "main") == ["west"]
    (fleet / "clusters/east/hubs/new.yaml").write_text(
        "name: new\ndrive: {size: 10Gi}\nauth: {type: native, admins: [a]}\n"
    )
    assert shards(run, fleet, "--base", "main") == ["east", "west"]


def test_a_file_moved_between_clusters_touches_both(fleet: Path, run: Callable[..., Result]) -> None:
    git(fleet, "checkout", "-q", "-b", "move")
    git(fleet, "mv", "clusters/west/hubs/lab.yaml", "clusters/east/hubs/lab.yaml")
    commit(fleet, "lab moves east")
    assert shards(run, fleet, "--base", "main") == ["east", "west"]


def test_a_change_every_cluster_uses_validates_them_all(fleet: Path, run: Callable[..., Result]) -> None:
    (fleet / "charts.lock").write_text("charts: []\n# changed\n")
    assert shards(run, fleet, "--base", "main") == ["east", "west"]
    git(fleet, "checkout", "-q", "--", "charts.lock")
    chart = fleet / "gitops/charts/nfs-drive/values.yaml"
    chart.write_text(chart.read_text() + "# changed\n")
    assert shards(run, fleet, "--base", "main") == ["east", "west"]


def test_a_change_to_hubfleet_itself_validates_every_cluster_and_prose_none(
    fleet: Path, run: Callable[..., Result]
) -> None:
    git(fleet, "checkout", "-q", "-b", "change")
    (fleet / "NOTES.md").write_text("who runs what\n")
    assert shards(run, fleet, "--base", "main") == []
    workflow = fleet / ".github/workflows/validate.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("name: validate\n")
    assert shards(run, fleet, "--base", "main") == ["east", "west"]


def test_the_fleet_job_checks_what_no_cluster_job_does(fleet: Path, run: Callable[..., Result]) -> None:
    clean = run(fleet, "validate", "--fleet")
    assert clean.exit_code == 0, clean.output
    assert clean.stdout.splitlines()[-1].endswith(" passed, 0 failed")
    # A cluster's own file is its job's (validate east), not this one's.
    drive = fleet / "gitops/hubs/east/course/drive.yaml"
    drive.write_text(drive.read_text() + "# a hand edit\n")
    assert run(fleet, "validate", "--fleet").exit_code == 0
    # What belongs to no cluster: a shipped chart, a removed cluster's output, a loose file.
    chart = fleet / "gitops/charts/nfs-drive/values.yaml"
    chart.write_text(chart.read_text() + "# a hand edit\n")
    shutil.rmtree(fleet / "clusters/west")
    (fleet / "clusters/admin.env").write_text("GITHUB_TOKEN=ghp_" + "a" * 36 + "\n")
    found = run(fleet, "validate", "--fleet")
    assert found.exit_code == 1
    lines = found.stdout.splitlines()[:-1]
    assert (
        "gitops/charts/nfs-drive/values.yaml:1: stale: differs from what the inputs render; run `hubfleet render` and commit"
        in lines
    )
    assert (
        "gitops/hubs/west/lab/drive.yaml:1: stale: no input renders this file any more; run `hubfleet render` and commit"
        in lines
    )
    assert [line for line in lines if line.startswith("clusters/admin.env")]
    assert not [line for line in lines if "gitops/hubs/east" in line]
    named = run(fleet, "validate", "--fleet", "east")
    assert named.exit_code == 2
    assert (
        named.stderr == "--fleet: checks what no cluster's job does; name no CLUSTER and no --skip with it\n"
    )
