"""`hubfleet plan`: a git repository of the example (base commit), changed in the work tree or in a
head commit; each risk flag with its exact text and severity, blocking flags exiting 1, and the
same guard in `validate --base`."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conftest import REPO, set_field
from hubfleet.core.package_data import shipped_charts
from hubfleet.planning.expansion import reads_back_statefulsets
from hubfleet.planning.risks import _node_group_flags
from support.builders import ship_changed_chart
from support.chart_mirror import chart_environment, reference_charts
from support.validate import TOOLS, copy_example, edit, require_environment

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}  # fmt: skip
HUBS = "clusters/clusterA/hubs"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**GIT_ENV, "PATH": "/usr/bin:/bin"},
    )
    return done.stdout


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def base_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_example(tmp_path_factory.mktemp("plan") / "project")
    git(root, "init", "-q", "-b", "main")
    commit(root, "base")
    return root


@pytest.fixture(autouse=True)
def charts_from_the_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changed HelmReleases are expanded with helm and the chart packages of the loopback mirror."""
    require_environment()
    for name, value in chart_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PATH", f"{TOOLS}:/usr/bin:/bin")


@pytest.fixture
def repo(base_repo: Path, tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(base_repo, target, symlinks=True)
    return target


def risks(result: Result) -> list[str]:
    return [line.strip() for line in result.output.splitlines() if line.startswith("  ") and ": " in line
            and line.strip().split(":")[0] in ("blocking", "warning", "info")]  # fmt: skip


def test_no_change_plans_nothing(repo: Path, run: Callable[..., Result]) -> None:
    result = run(repo, "plan")
    assert result.exit_code == 0
    assert result.output.splitlines()[1:] == ["no changes"]


def test_removing_an_active_hub_is_blocking(repo: Path, run: Callable[..., Result]) -> None:
    (repo / HUBS / "datalab.yaml").unlink()
    result = run(repo, "plan")
    assert result.exit_code == 1
    assert risks(result) == [
        "blocking: data: clusterA/datalab: the hub file is removed while the hub is active: its drive and every "
        "user's files would be orphaned; retire it first (`hubfleet hub retire clusterA datalab`), merge, and "
        "remove the file in a later change",
    ]
    assert "1 blocking risk flag: see above" in result.output


def test_removing_a_hub_retired_in_the_base_is_the_documented_order(
    repo: Path, run: Callable[..., Result]
) -> None:
    assert run(repo, "hub", "retire", "clusterA", "datalab").exit_code == 0
    assert run(repo, "render", "clusterA").exit_code == 0
    commit(repo, "retire datalab")
    (repo / HUBS / "datalab.yaml").unlink()
    result = run(repo, "plan", "--base", "HEAD")
    assert result.exit_code == 0
    assert risks(result) == [
        "info: data: clusterA/datalab: the retired hub's file is removed: its drive release stays (Flux does not "
        "prune it); delete it by hand when the data is no longer wanted"
    ]


def test_a_drive_shrunk_is_blocking_and_grown_is_info(repo: Path, run: Callable[..., Result]) -> None:
    edit(repo / HUBS / "physics101.yaml", "size: 100Gi", "size: 50Gi")
    edit(repo / HUBS / "datalab.yaml", "size: 40Gi", "size: 80Gi")
    result = run(repo, "plan")
    assert result.exit_code == 1
    assert risks(result) == [
        "blocking: data: clusterA/physics101: drive.size shrinks from 100Gi to 50Gi: EBS volumes only grow, and "
        "the drive's claim would fail to update",
        "info: data: clusterA/datalab: the drive grows from 40Gi to 80Gi: the EBS volume and its file system grow "
        "online, users keep working",
    ]


def test_moving_the_core_zone_is_blocking(repo: Path, run: Callable[..., Result]) -> None:
    edit(repo / "clusters/clusterA/cluster.yaml", "coreZone: us-west-2b", "coreZone: us-west-2a")
    result = run(repo, "plan")
    assert result.exit_code == 1
    assert risks(result)[0] == (
        "blocking: data: clusterA/coreZone: coreZone changes from us-west-2b to us-west-2a: every drive's EBS "
        "volume stays in us-west-2b, where no core node would run; volumes cannot change zones"
    )


def test_access_changes_are_flagged(repo: Path, run: Callable[..., Result]) -> None:
    hub = repo / HUBS / "physics101.yaml"
    edit(hub, "      - osu-physics:phys101-students      # one team of the organisation\n", "")
    edit(hub, "admins: [prof-lee, ta-garcia]", "admins: [prof-lee, ta-chen]")
    result = run(repo, "plan")
    assert result.exit_code == 0, result.output
    assert risks(result) == [
        "info: access: clusterA/physics101: admins added ta-chen; removed ta-garcia",
        "info: access: clusterA/physics101: allow rules removed (organizations osu-physics:phys101-students): "
        "people they admitted lose access",
    ]


def test_a_login_change_and_a_hub_opened_to_everyone_are_warnings(
    repo: Path, run: Callable[..., Result]
) -> None:
    hub = repo / HUBS / "physics101.yaml"
    set_field(hub, "auth", {"type": "google", "clientId": "abc.apps.googleusercontent.com",
                            "admins": ["prof-lee@osu.edu"], "allowed": {"everyone": True}})  # fmt: skip
    result = run(repo, "plan")
    assert result.exit_code == 0, result.output
    assert risks(result) == [
        "warning: access: clusterA/physics101: allowed.everyone is turned on: anyone who can log in with google "
        "may use the hub",
        "warning: access: clusterA/physics101: login changes from github to google: users get new user names, so "
        "new, empty home folders; their old files stay on the drive",
        "info: access: clusterA/physics101: admins added prof-lee@osu.edu; removed prof-lee, ta-garcia",
        "info: access: clusterA/physics101: allow rules removed (organizations osu-physics, organizations "
        "osu-physics:phys101-students): people they admitted lose access",
    ]


def test_capacity_and_versions_are_flagged(repo: Path, run: Callable[..., Result]) -> None:
    cluster = repo / "clusters/clusterA/cluster.yaml"
    edit(cluster, 'kubernetesVersion: "1.35"', 'kubernetesVersion: "1.34"')
    assert run(repo, "render", "clusterA").exit_code == 0
    commit(repo, "a cluster on 1.34")
    edit(cluster, "    maxSize: 35\n    desiredCapacity: 1", "    maxSize: 20\n    desiredCapacity: 1")
    edit(cluster, 'kubernetesVersion: "1.34"', 'kubernetesVersion: "1.35"')
    edit(cluster, "nodeGroups:\n", 'nodeGroups:\n  retiring: "1.34"\n')
    result = run(repo, "plan", "--base", "HEAD", "--no-expand")
    assert result.exit_code == 0, result.output
    assert risks(result) == [
        "warning: capacity: clusterA/user: the capacity plan needs 32 nodes and maxSize is 20: some hubs' pods "
        "would not be scheduled",
        "warning: upgrade: clusterA/kubernetesVersion: Kubernetes 1.34 -> 1.35: eksctl upgrades the control "
        "plane; node groups must be rotated (`hubfleet upgrade plan` prints the runbook)",
        # The components pinned to the Kubernetes minor follow it.
        *(
            f"info: upgrade: clusterA/HelmRelease {hub}/jupyterhub: image: "
            "spec.values.scheduling.userScheduler.image.tag: v1.34.9 -> v1.35.6"
            for hub in ("bio150", "datalab")
        ),
        "info: upgrade: clusterA/HelmRelease kube-system/cluster-autoscaler: image: spec.values.image.tag: "
        "v1.34.5 -> v1.35.2",
        "info: upgrade: clusterA/HelmRelease physics101/jupyterhub: image: "
        "spec.values.scheduling.userScheduler.image.tag: v1.34.9 -> v1.35.6",
    ]


@pytest.mark.parametrize(
    ("base", "head", "reason"),
    [
        ("1.35", "1.34", "Kubernetes 1.35 -> 1.34: EKS cannot take a control plane back to an older version"),
        ("1.33", "1.35", "Kubernetes 1.33 -> 1.35 skips a minor version: EKS upgrades one at a time, and the "
         "images that follow the minor would run ahead of the control plane; raise it one minor version per "
         "change (`hubfleet upgrade plan`)"),
    ],
)  # fmt: skip
def test_a_version_step_eks_cannot_take_is_blocking(
    repo: Path, run: Callable[..., Result], base: str, head: str, reason: str
) -> None:
    cluster = repo / "clusters/clusterA/cluster.yaml"
    edit(cluster, 'kubernetesVersion: "1.35"', f'kubernetesVersion: "{base}"')
    assert run(repo, "render", "clusterA").exit_code == 0
    commit(repo, f"a cluster on {base}")
    edit(cluster, f'kubernetesVersion: "{base}"', f'kubernetesVersion: "{head}"')
    result = run(repo, "plan", "--base", "HEAD", "--no-expand")
    assert result.exit_code == 1
    assert f"blocking: upgrade: clusterA/kubernetesVersion: {reason}" in risks(result)


GROUPS = ("tools", "core", "user", "user-xlarge", "gpu-t4")


def test_an_upgrade_that_drops_the_old_node_groups_is_blocking_and_retiring_them_later_is_not(
    repo: Path, run: Callable[..., Result]
) -> None:
    cluster = repo / "clusters/clusterA/cluster.yaml"
    edit(cluster, 'kubernetesVersion: "1.35"', 'kubernetesVersion: "1.34"')
    assert run(repo, "render", "clusterA").exit_code == 0
    commit(repo, "a cluster on 1.34")
    edit(cluster, 'kubernetesVersion: "1.34"', 'kubernetesVersion: "1.35"')
    dropped = run(repo, "plan", "--base", "HEAD", "--no-expand")
    assert dropped.exit_code == 1
    old = ", ".join(f"{group}-v1-34" for group in GROUPS)
    assert risks(dropped)[0] == (
        f"blocking: capacity: clusterA/ClusterConfig clusterA: the ClusterConfig drops node groups {old} while "
        "their nodes may run hubs and servers: `eksctl delete nodegroup -f gitops/eksctl/clusterA.yaml "
        "--only-missing` would delete those nodes, and servers would wait for groups not yet created; keep the "
        'generation with nodeGroups.retiring: "1.34" until it is drained'
    )
    # The rotation: both generations side by side, nothing leaves.
    edit(cluster, "nodeGroups:\n", 'nodeGroups:\n  retiring: "1.34"\n')
    rotating = run(repo, "plan", "--base", "HEAD", "--no-expand")
    assert rotating.exit_code == 0, rotating.output
    assert not [line for line in risks(rotating) if "the ClusterConfig drops" in line]
    assert run(repo, "render", "clusterA").exit_code == 0
    commit(repo, "rotating to 1.35")
    # Drained: the retiring generation leaves, as information with the command that deletes it.
    edit(cluster, 'nodeGroups:\n  retiring: "1.34"\n', "nodeGroups:\n")
    retired = run(repo, "plan", "--base", "HEAD", "--no-expand")
    assert retired.exit_code == 0, retired.output
    assert risks(retired) == [
        f"info: capacity: clusterA/ClusterConfig clusterA: the ClusterConfig drops node groups {old} (generation "
        "1.34): once merged, with their nodes drained, `eksctl delete nodegroup -f gitops/eksctl/clusterA.yaml "
        "--only-missing --approve` deletes what it no longer lists"
    ]


def test_a_node_group_removed_for_good_is_a_warning(repo: Path, run: Callable[..., Result]) -> None:
    cluster = repo / "clusters/clusterA/cluster.yaml"
    spare = "    - name: spare\n      instanceType: t3a.large\n      maxSize: 2\n"
    edit(cluster, "  extraUser:\n", f"  extraUser:\n{spare}")
    assert run(repo, "render", "clusterA").exit_code == 0
    commit(repo, "a spare group")
    edit(cluster, spare, "")
    result = run(repo, "plan", "--base", "HEAD", "--no-expand")
    assert result.exit_code == 0, result.output
    assert risks(result) == [
        "warning: capacity: clusterA/ClusterConfig clusterA: the ClusterConfig drops node group spare-v1-35: "
        "`eksctl delete nodegroup -f gitops/eksctl/clusterA.yaml --only-missing` deletes what it no longer lists, "
        "and servers running there stop"
    ]


def drive_chart_version() -> str:
    text = shipped_charts()["nfs-drive/Chart.yaml"].decode()
    return next(line for line in text.splitlines() if line.startswith("version:"))


def test_a_chart_major_bump_and_our_charts_version_are_flagged(
    repo: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newer hubfleet whose drive chart moved: the plan of the next render shows the upgrade."""
    set_field(repo / "clusters/clusterA/cluster.yaml", "charts", {"jupyterhub": "5.0.0"})
    version = drive_chart_version()
    ship_changed_chart(monkeypatch, "nfs-drive/Chart.yaml", version, "version: 1.0.0")
    result = run(repo, "plan")
    found = risks(result)
    old = version.split(":", 1)[1].strip().strip('"')
    assert f"warning: upgrade: */charts/nfs-drive: {old} -> 1.0.0: Flux upgrades its 4 releases" in found
    assert (
        "warning: upgrade: clusterA/HelmRelease physics101/jupyterhub: chart 4.4.0 -> 5.0.0 is a major version: "
        "read the chart's upgrade notes before merging"
    ) in found
    assert "  upgrade 4 releases of charts/nfs-drive: " + f"{old} -> 1.0.0" in result.output.splitlines()


def test_no_secret_value_is_shown(repo: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    sealed = repo / "clusters/clusterA/secrets/auth.physics101.sealedsecret.yaml"
    text = sealed.read_text()
    secret = next(line.split(":", 1)[1].strip() for line in text.splitlines() if "client-secret:" in line)
    edit(sealed, secret, "Ag" + secret[2:][::-1])
    (tmp_path / "out").mkdir()
    outputs = [run(repo, "plan", "--format", style, "--artifact", str(tmp_path / "out" / f"p.{style}")).output
               for style in ("text", "json", "markdown", "github")]  # fmt: skip
    artifacts = [p.read_text() for p in (tmp_path / "out").iterdir()]
    for text_out in [*outputs, *artifacts]:
        assert secret not in text_out and secret[2:][::-1] not in text_out
    assert "spec.encryptedData.client-secret: (hidden) -> (hidden)" in outputs[0]


def test_head_can_be_a_revision_and_the_work_tree_is_untouched(
    repo: Path, run: Callable[..., Result]
) -> None:
    edit(repo / HUBS / "datalab.yaml", "size: 40Gi", "size: 60Gi")
    commit(repo, "grow datalab")
    edit(repo / HUBS / "datalab.yaml", "size: 60Gi", "size: 10Gi")  # not committed
    status = git(repo, "status", "--porcelain")
    result = run(repo, "plan", "--base", "HEAD~1", "--head", "HEAD")
    assert result.exit_code == 0
    assert risks(result) == [
        "info: data: clusterA/datalab: the drive grows from 40Gi to 60Gi: the EBS volume and its file system grow "
        "online, users keep working"
    ]
    assert git(repo, "status", "--porcelain") == status


def test_an_unknown_revision_is_a_usage_error(repo: Path, run: Callable[..., Result]) -> None:
    result = run(repo, "plan", "--base", "no-such-branch")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "--base no-such-branch: no such commit in this repository (a branch, tag or commit; fetch it first)"
    )


def test_the_json_plan_lists_objects_and_upgrades(repo: Path, run: Callable[..., Result]) -> None:
    edit(repo / HUBS / "datalab.yaml", "size: 40Gi", "size: 60Gi")
    plan = json.loads(run(repo, "plan", "--format", "json").output)
    (cluster,) = plan["clusters"]
    assert (cluster["name"], cluster["hubs"], cluster["upgrades"]) == (
        "clusterA",
        ["datalab"],
        ["datalab/drive: new values"],
    )
    release, *inside = cluster["objects"]
    assert (release["kind"], release["via"], release["path"]) == (
        "HelmRelease",
        None,
        "gitops/hubs/clusterA/datalab/drive.yaml",
    )
    assert release["fields"] == [{"path": "spec.values.size", "old": "40Gi", "new": "60Gi", "items": False}]
    assert [(o["kind"], o["name"], o["via"], o["fields"]) for o in inside] == [
        ("PersistentVolume", "datalab-drive-home", "HelmRelease datalab/drive",
         [{"path": "spec.capacity.storage", "old": "40Gi", "new": "60Gi", "items": False}]),
        ("PersistentVolumeClaim", "data-drive-nfs-0", "HelmRelease datalab/drive",
         [{"path": "spec.resources.requests.storage", "old": "40Gi", "new": "60Gi", "items": False}]),
    ]  # fmt: skip
    assert plan["blocking"] is False


def test_validate_base_fails_a_change_that_would_lose_data(repo: Path, run: Callable[..., Result]) -> None:
    (repo / HUBS / "datalab.yaml").unlink()  # render refuses it now; validate says why, twice
    skipped = [arg for layer in ("objects", "eksctl", "charts", "flux", "lint") for arg in ("--skip", layer)]
    result = run(repo, "validate", "--base", "main", *skipped)
    assert result.exit_code == 1
    assert (
        f"{HUBS}/datalab.yaml: the hub file is removed while the hub is active: its drive and every user's files "
        "would be orphaned; retire it first (`hubfleet hub retire clusterA datalab`), merge, and remove the file "
        "in a later change"
    ) in result.output.splitlines()
    assert (
        f"{HUBS}/datalab.yaml: clusterA/datalab: data: the hub file is removed while the hub is active: its drive "
        "and every user's files would be orphaned; retire it first (`hubfleet hub retire clusterA datalab`), "
        "merge, and remove the file in a later change"
    ) in result.output.splitlines()
    git(repo, "checkout", "-q", "--", "clusters", "gitops")
    git(repo, "clean", "-fdq", "--", "gitops")
    clean = run(repo, "validate", "--base", "main", *skipped)
    assert clean.exit_code == 0, clean.output


def test_removing_a_node_group_a_profile_uses_is_refused(repo: Path, run: Callable[..., Result]) -> None:
    cluster = repo / "clusters/clusterA/cluster.yaml"
    edit(cluster, "    - name: user-xlarge   # the 4-vCPU tier\n      instanceType: t3a.xlarge\n", "")
    edit(cluster, "      minSize: 0\n      maxSize: 5          # five at most\n", "")
    result = run(repo, "plan")
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == (
        f"{HUBS}/physics101.yaml:29:5: profiles[1].nodeGroup: 'user-xlarge' is not a user node group of clusterA "
        "(user groups: user, gpu-t4)"
    )


def test_changed_releases_are_expanded_through_their_charts(repo: Path, run: Callable[..., Result]) -> None:
    hub = repo / HUBS / "physics101.yaml"
    edit(hub, "size: 100Gi", "size: 120Gi")
    edit(hub, "memory: {guarantee: 2G, limit: 4G}", "memory: {guarantee: 3G, limit: 4G}")
    result = run(repo, "plan")
    lines = result.output.splitlines()
    claim = lines.index(
        "  ~ PersistentVolumeClaim physics101/data-drive-nfs-0 (via HelmRelease physics101/drive)"
    )
    assert lines[claim + 1] == "      spec.resources.requests.storage: 100Gi -> 120Gi"
    placeholder = lines.index(
        "  ~ StatefulSet physics101/user-placeholder (via HelmRelease physics101/jupyterhub)"
    )
    assert (
        lines[placeholder + 1]
        == "      spec.template.spec.containers[name=pause].resources.requests.memory: 2G -> 3G"
    )
    # The drive chart keeps its claim template as the cluster has it, and z2jh's generated
    # secrets (and their checksums) differ on every run: neither shows as a change.
    assert not any(line.startswith(("  ~ StatefulSet physics101/drive-nfs", "  ~ Secret")) for line in lines)
    assert "warning" not in " ".join(risks(result))
    quiet = run(repo, "plan", "--no-expand")
    assert not any("(via HelmRelease" in line for line in quiet.output.splitlines())


def test_a_claim_template_change_the_chart_does_not_keep_is_flagged(
    repo: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    ship_changed_chart(monkeypatch, "nfs-drive/templates/statefulset.yaml",
                       '  {{- $existing := lookup "apps/v1" "StatefulSet" .Release.Namespace (include '
                       '"nfs-drive.fullname" .) }}\n', "  {{- $existing := dict }}\n")  # fmt: skip
    assert run(repo, "render").exit_code == 0
    assert not reads_back_statefulsets(repo / "gitops/charts/nfs-drive")
    commit(repo, "a drive chart that forgets its claim templates")
    edit(repo / HUBS / "physics101.yaml", "size: 100Gi", "size: 120Gi")
    result = run(repo, "plan", "--base", "HEAD")
    assert (
        "warning: data: clusterA/StatefulSet physics101/drive-nfs: an immutable field changes (volumeClaimTemplates "
        "or selector): Kubernetes refuses the update until the StatefulSet is replaced"
    ) in risks(result)


def test_which_charts_read_their_statefulsets_back() -> None:
    assert reads_back_statefulsets(REPO / "charts/nfs-drive")
    package = reference_charts() / "jupyterhub-4.4.0.tgz"
    assert not reads_back_statefulsets(package)


def test_a_project_in_a_subfolder_of_the_repository(tmp_path: Path, run: Callable[..., Result]) -> None:
    top = tmp_path / "repo"
    project = copy_example(top / "fleet")
    git(top, "init", "-q", "-b", "main")
    commit(top, "base")
    (project / HUBS / "datalab.yaml").unlink()
    result = run(project, "plan", "--no-expand")
    assert result.exit_code == 1
    assert risks(result)[0].startswith("blocking: data: clusterA/datalab: the hub file is removed")


def test_a_base_this_hubfleet_cannot_load_still_guards_hub_files(
    repo: Path, run: Callable[..., Result]
) -> None:
    cluster = repo / "clusters/clusterA/cluster.yaml"
    cluster.write_text(cluster.read_text() + "retiredOption: true\n")  # a field an older hubfleet had
    commit(repo, "a base written for another hubfleet")
    cluster.write_text(cluster.read_text().replace("retiredOption: true\n", ""))
    (repo / HUBS / "datalab.yaml").unlink()
    result = run(repo, "plan", "--base", "HEAD", "--no-expand")
    assert result.exit_code == 1
    assert risks(result) == [
        "blocking: data: clusterA/datalab: the hub file is removed while the hub is active: its drive and every "
        "user's files would be orphaned; retire it first (`hubfleet hub retire clusterA datalab`), merge, and "
        "remove the file in a later change"
    ]
    assert "note: the base's inputs of clusterA do not load with this hubfleet (" in result.output


def test_cluster_names_are_read_as_typed(repo: Path, run: Callable[..., Result]) -> None:
    edit(repo / HUBS / "datalab.yaml", "size: 40Gi", "size: 60Gi")
    for typed in ("clusterA", "clusterA/", "clusters/clusterA"):
        result = run(repo, "plan", "--no-expand", typed)
        assert (
            "  ~ HelmRelease datalab/drive (gitops/hubs/clusterA/datalab/drive.yaml)"
            in result.output.splitlines()
        )


def test_a_chart_change_without_a_version_bump_is_pointed_out(
    repo: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = shipped_charts()["nfs-drive/templates/NOTES.txt"].decode()
    ship_changed_chart(monkeypatch, "nfs-drive/templates/NOTES.txt", notes, notes + "\nA new line.\n")
    result = run(repo, "plan")
    version = drive_chart_version().split(":", 1)[1].strip().strip('"')
    assert (
        f"note: charts/nfs-drive changed but kept version {version}: Flux upgrades none of its releases (they "
        "reconcile on the chart's version); bump it"
    ) in result.output.splitlines()


def flags(old: list[str], new: list[str]) -> list[tuple[str, str]]:
    """The node-group flags of a ClusterConfig going from `old` to `new` group names."""
    config = "gitops/eksctl/c.yaml"
    found = _node_group_flags({"nodeGroups": [{"name": n} for n in old]}, {"nodeGroups": [{"name": n} for n in new]},
                              config)  # fmt: skip
    return [(flag_id, values["groups"]) for flag_id, values in found]


def test_only_an_older_generation_beside_a_newer_one_may_leave() -> None:
    # Retiring 1.34 and raising the version again in one change drops the live 1.35 groups.
    assert flags(["user-v1-35", "user-v1-34"], ["user-v1-36"]) == [
        ("generation-dropped", "node groups user-v1-35, user-v1-34")
    ]
    assert flags(["user-v1-35", "user-v1-34"], ["user-v1-35"]) == [
        ("generation-retired", "node group user-v1-34")
    ]
    assert flags(["user-v1-35", "user"], ["user-v1-35"]) == [("generation-retired", "node group user")]
    assert flags(["user-v1-35", "user-v1-34"], ["user-v1-34"]) == [
        ("generation-dropped", "node group user-v1-35")
    ]
    assert flags(["user", "gpu-4"], ["user-v1-35", "gpu-4-v1-35"]) == [
        ("generation-dropped", "node groups user, gpu-4")
    ]
    assert flags(["user-v1-35"], []) == [("node-group-removed", "node group user-v1-35")]
    # A group added while a generation retires gets an old copy that eksctl would create.
    assert flags(["user-v1-35", "user-v1-34"], ["user-v1-35", "user-v1-34", "big-v1-35", "big-v1-34"]) == [
        ("retiring-group-added", "node group big-v1-34")
    ]


def test_moving_to_a_host_per_hub_blocks_until_acknowledged(repo: Path, run: Callable[..., Result]) -> None:
    cluster_file = repo / "clusters/clusterA/cluster.yaml"
    cluster_file.write_text(cluster_file.read_text() + "urls: host\n")
    result = run(repo, "plan")
    assert result.exit_code == 1
    assert risks(result)[0] == (
        "blocking: access: clusterA/urls: urls changes from path to host: every hub's address and every login's "
        "callback change; register the new callbacks (`hubfleet hub show`), point DNS at the new hosts "
        "(`hubfleet aws dns`), then add acknowledge: [urls-changed] to the cluster file"
    )
    cluster_file.write_text(cluster_file.read_text() + "acknowledge: [urls-changed]\n")
    result = run(repo, "plan")
    assert result.exit_code == 0, result.output
    assert risks(result)[0] == (
        "warning: access: clusterA/urls: urls changes from path to host (acknowledged): every hub moves to its "
        "new address when this merges; check each with `hubfleet hub check`, then remove acknowledge"
    )


def test_a_switch_to_acme_is_a_warning_saying_what_happens_to_the_served_certificate(
    repo: Path, run: Callable[..., Result]
) -> None:
    cluster_file = repo / "clusters/clusterA/cluster.yaml"
    cluster_file.write_text(
        cluster_file.read_text()
        + "hostedZone: {id: Z04417231ABCDEFGHIJKL, name: hubs.example.org}\n"
        + "tls: {mode: acme, email: hub-ops@example.edu}\n"
    )
    (repo / "clusters/clusterA/secrets/clustera-tls.sealedsecret.yaml").unlink()
    result = run(repo, "plan")
    assert result.exit_code == 0, result.output
    assert (
        "warning: access: clusterA/tls: tls.mode changes from sealed to acme: before merging, make "
        "cert-manager's IAM role (`eksctl create iamserviceaccount --config-file gitops/eksctl/clusterA.yaml "
        "--include cert-manager/cert-manager --approve`): without it nothing can issue the new certificate. The "
        "sealed certificate's Secret goes with its SealedSecret, and NGINX serves Let's Encrypt's once "
        "cert-manager has it (minutes, by DNS-01 in the hosted zone): switch outside teaching hours, and delete "
        "the sealed certificate's input under secrets/" in risks(result)
    )
    assert run(repo, "render", "clusterA").exit_code == 0
    commit(repo, "acme")
    # The role names the zone: moving the zone is a warning saying the role must follow first.
    edit(cluster_file, "Z04417231ABCDEFGHIJKL", "Z0NEWZONE")
    result = run(repo, "plan", "--base", "HEAD")
    assert result.exit_code == 0, result.output
    assert (
        "warning: access: clusterA/hostedZone.id: hostedZone.id changes from Z04417231ABCDEFGHIJKL to Z0NEWZONE: "
        "cert-manager's IAM role allows only the old one until `eksctl update iamserviceaccount --config-file "
        "gitops/eksctl/clusterA.yaml --include cert-manager/cert-manager --approve`; run it before merging, or "
        "renewals fail" in risks(result)
    )


def test_an_acknowledgement_from_an_earlier_change_acknowledges_nothing(
    repo: Path, run: Callable[..., Result]
) -> None:
    cluster_file = repo / "clusters/clusterA/cluster.yaml"
    cluster_file.write_text(cluster_file.read_text() + "urls: host\nacknowledge: [urls-changed]\n")
    assert run(repo, "render", "clusterA").exit_code == 0
    commit(repo, "move to a host per hub")
    edit(repo / HUBS / "datalab.yaml", "size: 40Gi", "size: 80Gi")
    result = run(repo, "plan", "--base", "HEAD")
    assert (
        "warning: access: clusterA/acknowledge: acknowledge: [urls-changed] acknowledges no change here; "
        "remove it, so that a later change is flagged in full" in risks(result)
    )
    edit(cluster_file, "urls: host\n", "")
    result = run(repo, "plan", "--base", "HEAD")
    assert result.exit_code == 1
    assert risks(result)[0].startswith("blocking: access: clusterA/urls: urls changes from host to path: ")
