"""`hubfleet upgrade plan`: one minor at a time and never down, every chart accepting the target
(read from the locked packages of the loopback mirror), and the runbook."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from hubfleet.core.version_ranges import satisfies
from support.builders import ship_changed_chart
from support.chart_mirror import chart_environment
from support.validate import copy_example, edit, require_environment

CLUSTER = "clusters/clusterA/cluster.yaml"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_environment()
    return copy_example(tmp_path_factory.mktemp("upgrade") / "project", render=False)


@pytest.fixture
def root(example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in chart_environment().items():
        monkeypatch.setenv(name, value)
    target = tmp_path / "project"
    shutil.copytree(example, target)
    return target


def commit_all(root: Path) -> None:
    """Make the project a git repository whose HEAD holds its files as they are."""
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "x"],
    ):
        subprocess.run(["git", "-C", str(root), *args], check=True)


def on(root: Path, version: str) -> Path:
    edit(root / CLUSTER, 'kubernetesVersion: "1.35"', f'kubernetesVersion: "{version}"')
    return root


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (
            "1.33",
            "1.35",
            "--to 1.35: clusterA runs 1.33; EKS upgrades one minor version at a time: plan 1.34 first",
        ),
        ("1.35", "1.34", "--to 1.34: clusterA runs 1.35; EKS cannot take a control plane back to 1.34"),
        ("1.35", "1.35", "--to 1.35: clusterA already runs Kubernetes 1.35"),
        ("1.35", "1.36", "--to 1.36: '1.36' is not a version eksctl v0.230.0 can create (1.30 to 1.35)"),
        ("1.35", "latest", "--to latest: give a Kubernetes minor version such as 1.35"),
    ],
)
def test_targets_eks_cannot_reach_in_one_step_are_refused(
    root: Path, run: Callable[..., Result], current: str, target: str, message: str
) -> None:
    result = run(on(root, current), "upgrade", "plan", "clusterA", "--to", target)
    assert result.exit_code == 2
    assert result.output.strip() == message


def test_the_example_can_move_from_1_34_to_1_35(root: Path, run: Callable[..., Result]) -> None:
    result = run(on(root, "1.34"), "upgrade", "plan", "clusterA", "--to", "1.35")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:4] == [
        "clusterA: Kubernetes 1.34 -> 1.35",
        "",
        "checks:",
        "  ok   version: 1.35 is in EKS standard support until 2027-03-27",
    ]
    assert "  ok   chart jupyterhub 4.4.0: kubeVersion >=1.28.0-0 accepts 1.35" in lines
    assert "  ok   chart grafana 12.11.1: kubeVersion ^1.25.0-0 accepts 1.35" in lines
    assert "  ok   chart cluster-autoscaler 9.59.0: sets no kubeVersion" in lines
    assert "  ok   image registry.k8s.io/autoscaling/cluster-autoscaler: pinned v1.35.2" in lines
    runbook = lines[lines.index("runbook:") + 1 :]
    steps = [line for line in runbook if not line.startswith("       ")]
    assert [step.split(":")[0] for step in steps] == [
        "  1. On a branch, set kubernetesVersion",
        "  2. Raise the control plane, from the branch, before merging",
        "  3. Create the 1.35 node groups, from the branch (--only-missing leaves the 1.34 ones as they are)",
        "  4. Cordon the 1.34 core and tools nodes, so that pods restarted from here on start on new ones",
        "  5. Merge",
        "  6. Update the add-ons (EBS CSI driver, kube-proxy, CoreDNS",
        "  7. Drain the 1.34 core and tools nodes one at a time",
        "  8. Empty the 1.34 user nodes",
        "  9. Retire the 1.34 generation once no hub pod or server runs on its nodes (they stay up, empty, until "
        "deleted)",
    ]
    assert steps[0] == (
        '  1. On a branch, set kubernetesVersion: "1.35" and nodeGroups.retiring: "1.34" in '
        "clusters/clusterA/cluster.yaml (`upgrade start` does both) and render: the ClusterConfig gains a 1.35 "
        "generation of every node "
        "group beside the 1.34 one"
    )
    users = "user-v1-34,user-xlarge-v1-34,gpu-t4-v1-34"
    # Order matters: the control plane first, then the new groups, then the merge, then draining.
    commands = [line.removeprefix("       $ ") for line in runbook if line.startswith("       $ ")]
    order = [
        "eksctl upgrade cluster -f gitops/eksctl/clusterA.yaml --approve",
        "eksctl create nodegroup -f gitops/eksctl/clusterA.yaml --only-missing",
        "kubectl cordon -l 'alpha.eksctl.io/nodegroup-name in (tools-v1-34,core-v1-34)'",
        "git push (then merge the pull request)",
        "flux reconcile kustomization hubs --with-source",
        "eksctl update addon -f gitops/eksctl/clusterA.yaml",
        "kubectl drain -l 'alpha.eksctl.io/nodegroup-name in (tools-v1-34,core-v1-34)' --ignore-daemonsets "
        "--delete-emptydir-data",
        f"kubectl cordon -l 'alpha.eksctl.io/nodegroup-name in ({users})'",
        f"kubectl drain -l 'alpha.eksctl.io/nodegroup-name in ({users})' --ignore-daemonsets "
        "--delete-emptydir-data --force",
        "eksctl delete nodegroup -f gitops/eksctl/clusterA.yaml --only-missing --approve",
        "hubfleet aws drift clusterA",
    ]
    assert [commands.index(command) for command in order] == sorted(commands.index(c) for c in order)


def test_a_cluster_made_before_generations_retires_its_plain_named_groups(
    root: Path, run: Callable[..., Result]
) -> None:
    config = root / "gitops/eksctl/clusterA.yaml"
    config.write_text(config.read_text().replace("-v1-35\n", "\n"))
    result = run(on(root, "1.34"), "upgrade", "plan", "clusterA", "--to", "1.35")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        '  1. On a branch, set kubernetesVersion: "1.35" and nodeGroups.retiring: "unversioned" in '
        "clusters/clusterA/cluster.yaml (`upgrade start` does both) and render: the ClusterConfig gains a 1.35 "
        "generation of every node "
        "group beside the 1.34 (unversioned) one"
    ) in lines
    assert "       $ kubectl cordon -l 'alpha.eksctl.io/nodegroup-name in (tools,core)'" in lines
    assert "       $ kubectl cordon -l 'alpha.eksctl.io/nodegroup-name in (user,user-xlarge,gpu-t4)'" in lines


def test_the_committed_config_counts_not_a_render_since(root: Path, run: Callable[..., Result]) -> None:
    config = root / "gitops/eksctl/clusterA.yaml"
    rendered = config.read_text()
    config.write_text(rendered.replace("-v1-35\n", "\n"))
    commit_all(root)
    config.write_text(rendered)  # a render with this release, not committed: AWS still has plain names
    result = run(on(root, "1.34"), "upgrade", "plan", "clusterA", "--to", "1.35")
    assert result.exit_code == 0, result.output
    assert 'nodeGroups.retiring: "unversioned"' in result.output
    assert (
        "  ok   node groups: in generation unversioned, from gitops/eksctl/clusterA.yaml as committed"
        in result.output.splitlines()
    )


def test_no_new_upgrade_while_a_generation_is_retiring(root: Path, run: Callable[..., Result]) -> None:
    edit(root / CLUSTER, "nodeGroups:\n", 'nodeGroups:\n  retiring: "1.33"\n')
    result = run(on(root, "1.34"), "upgrade", "plan", "clusterA", "--to", "1.35")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "--to 1.35: clusterA is still retiring its 1.33 node groups: once their nodes are drained, remove "
        "nodeGroups.retiring, merge, and run `eksctl delete nodegroup -f gitops/eksctl/clusterA.yaml "
        "--only-missing --approve` first"
    )


def ship_drive_chart(monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> None:
    ship_changed_chart(monkeypatch, "nfs-drive/Chart.yaml", old, new)


def test_a_chart_that_excludes_the_target_fails_the_plan(
    root: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    ship_drive_chart(monkeypatch, 'kubeVersion: ">=1.27.0-0"', 'kubeVersion: ">=1.27.0-0 <1.35.0-0"')
    result = run(on(root, "1.34"), "upgrade", "plan", "clusterA", "--to", "1.35")
    assert result.exit_code == 1
    assert (
        "  FAIL chart charts/nfs-drive: kubeVersion >=1.27.0-0 <1.35.0-0 does not accept 1.35"
        in result.output.splitlines()
    )
    assert "1 check failed: fix it before upgrading" in result.output


def test_json_for_scripts_and_markdown_for_an_issue(root: Path, run: Callable[..., Result]) -> None:
    plan = json.loads(
        run(on(root, "1.34"), "upgrade", "plan", "clusterA", "--to", "1.35", "--format", "json").output
    )
    assert (plan["from"], plan["to"], plan["ok"], len(plan["steps"])) == ("1.34", "1.35", True, 9)
    markdown = run(root, "upgrade", "plan", "clusterA", "--to", "1.35", "--format", "markdown").output
    assert markdown.startswith("## clusterA: Kubernetes 1.34 -> 1.35\n\n### Checks\n- **ok** version:")


@pytest.mark.parametrize(
    ("constraint", "accepted"),
    [
        (">=1.25.0-0", True),
        ("^1.25.0-0", True),
        (">= 1.25.0-0 < 1.35.0-0", False),
        (">=1.21, <1.36", True),
        ("<1.30 || >=1.34", True),
        ("~1.34.0", False),
        ("1.35.x", True),
        ("1.34.x", False),
        ("1.30 - 1.36", True),
        ("=>1.30", True),
        ("=<1.34", False),
        ("~>1.34.0", False),
        (">=1.21 garbage", False),
        (">=1.21+k3s1", True),
    ],
)
def test_helm_kube_version_constraints(constraint: str, accepted: bool) -> None:
    assert satisfies("1.35.0", constraint) is accepted


def test_eks_versions_are_pre_releases_to_helm() -> None:
    assert satisfies("1.35.0", ">=1.25.0-0", prerelease=True)
    assert not satisfies("1.35.0", ">=1.25.0", prerelease=True)


def test_a_constraint_eks_misses_only_for_its_pre_release_says_why(
    root: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    ship_drive_chart(monkeypatch, 'kubeVersion: ">=1.27.0-0"', 'kubeVersion: ">=1.27.0"')
    result = run(on(root, "1.34"), "upgrade", "plan", "clusterA", "--to", "1.35")
    assert result.exit_code == 1
    assert (
        "  FAIL chart charts/nfs-drive: kubeVersion >=1.27.0 does not accept 1.35 (as EKS reports it, a "
        "pre-release; the constraint needs a -0 suffix)"
    ) in result.output.splitlines()


def test_a_cluster_the_policy_refuses_can_still_plan_its_upgrade(
    root: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBFLEET_TODAY", "2026-12-02")
    on(root, "1.31")  # past extended support on that day: render refuses it
    assert run(root, "render", "clusterA").exit_code == 2
    result = run(root, "upgrade", "plan", "clusterA", "--to", "1.32", "--format", "json")
    assert json.loads(result.output)["to"] == "1.32"


def test_the_readme_shows_what_the_command_prints(root: Path, run: Callable[..., Result]) -> None:
    from conftest import REPO

    readme = (REPO / "README.md").read_text()
    start = readme.index("$ hubfleet upgrade plan clusterA --to 1.35\n") + len(
        "$ hubfleet upgrade plan clusterA --to 1.35\n"
    )
    shown = readme[start : readme.index("```", start)]
    commit_all(on(root, "1.34"))
    assert run(root, "upgrade", "plan", "clusterA", "--to", "1.35").output == shown


def test_start_sets_the_version_and_the_retiring_generation_and_finish_removes_it(
    root: Path, run: Callable[..., Result]
) -> None:
    cluster = root / CLUSTER
    before = on(root, "1.34") / CLUSTER
    text = before.read_text()
    started = run(root, "upgrade", "start", "clusterA", "--to", "1.35")
    assert started.exit_code == 0, started.output
    assert started.stdout == (
        'clusterA: kubernetesVersion "1.35", nodeGroups.retiring "1.34" in clusters/clusterA/cluster.yaml. '
        "Next: hubfleet render clusterA, hubfleet plan, commit; then, before merging: eksctl upgrade "
        "cluster -f gitops/eksctl/clusterA.yaml --approve\n"
    )
    # Only those two fields change; every comment stays.
    last = "      volumeSize: 60               # CUDA images are large\n"
    expected = text.replace('kubernetesVersion: "1.34"', 'kubernetesVersion: "1.35"').replace(
        last, last + '  retiring: "1.34"\n'
    )
    assert cluster.read_text() == expected
    assert run(root, "render", "clusterA").exit_code == 0
    finished = run(root, "upgrade", "finish", "clusterA")
    assert finished.exit_code == 0, finished.output
    assert finished.stdout == (
        "clusterA: nodeGroups.retiring (1.34) removed from clusters/clusterA/cluster.yaml (hubfleet does not "
        "look at the nodes: this is for once no hub pod or server runs on them). Next: hubfleet render "
        "clusterA, hubfleet plan, commit and merge; then eksctl delete nodegroup -f "
        "gitops/eksctl/clusterA.yaml --only-missing --approve\n"
    )
    assert cluster.read_text() == text.replace('kubernetesVersion: "1.34"', 'kubernetesVersion: "1.35"')
    again = run(root, "upgrade", "finish", "clusterA")
    assert again.exit_code == 2
    assert again.stderr == (
        "CLUSTER: clusterA has no node-group generation retiring (nodeGroups.retiring is not set)\n"
    )


def test_start_changes_nothing_when_a_check_fails(
    root: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    ship_drive_chart(monkeypatch, 'kubeVersion: ">=1.27.0-0"', 'kubeVersion: ">=1.27.0-0 <1.35.0-0"')
    text = (on(root, "1.34") / CLUSTER).read_text()
    result = run(root, "upgrade", "start", "clusterA", "--to", "1.35")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "  FAIL chart charts/nfs-drive: kubeVersion >=1.27.0-0 <1.35.0-0 does not accept 1.35",
        "1 check failed: fix it before upgrading",
    ]
    assert (root / CLUSTER).read_text() == text


def test_finish_writes_nothing_the_cluster_would_not_load_from(
    root: Path, run: Callable[..., Result]
) -> None:
    # Rules that reject the cluster without retiring (here: a profile naming a group only a hand edit
    # left) keep the file as it was; the error is the render's.
    cluster = root / CLUSTER
    edit(cluster, "nodeGroups:\n", 'nodeGroups:\n  retiring: "1.34"\n')
    edit(cluster, "    - name: user-xlarge   # the 4-vCPU tier", "    - name: big-v1-30   # the 4-vCPU tier")
    text = cluster.read_text()
    result = run(root, "upgrade", "finish", "clusterA")
    assert result.exit_code == 2
    assert "ends like a generation (-v1-NN)" in result.stderr
    assert cluster.read_text() == text
