"""`aws scale`: the YAML and the Auto Scaling group change together, or neither does."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from moto.core import set_initial_no_auth_action_count
from ruamel.yaml import YAML

from conftest import REPO, snapshot
from hubfleet.aws.groups import find_group
from hubfleet.errors import AwsError
from hubfleet.inputs.model.cluster import Cluster
from hubfleet.system.files import stage_beside
from support.aws import (
    World,
    create_group,
    group_sizes,
    restricted_profile,
    set_account,
    world_fixture,  # noqa: F401  (the `world` fixture)
)
from support.builders import position_of

CORE = "eksctl-clusterA-nodegroup-core-v1-35-NodeGroup-1A2B3C"


def rendered_group(root: Path, name: str) -> dict[str, object]:
    config = YAML(typ="safe").load((root / "gitops/eksctl/clusterA.yaml").read_text())
    return next(group for group in config["nodeGroups"] if group["name"] == f"{name}-v1-35")


def test_scale_changes_only_the_numbers_then_aws_and_the_rendered_tree(
    world: World, run: Callable[..., Result]
) -> None:
    before = world.cluster_file.read_text()
    result = run(
        world.root, "aws", "scale", "clusterA", "core", "--min", "2", "--max", "12", "--desired", "2"
    )
    assert result.exit_code == 0, result.output
    after = world.cluster_file.read_text()
    old = "    minSize: 1\n    maxSize: 10\n    desiredCapacity: 1\n"
    assert after == before.replace(old, "    minSize: 2\n    maxSize: 12\n    desiredCapacity: 2\n", 1)
    assert after != before
    assert group_sizes(world.clients, CORE) == (2, 12, 2)
    assert rendered_group(world.root, "core")["minSize"] == 2
    assert rendered_group(world.root, "core")["maxSize"] == 12
    assert f"updated Auto Scaling group {CORE}" in result.stdout
    assert "  minSize          1 -> 2     (AWS now 1)" in result.stdout
    assert "wrote clusters/clusterA/cluster.yaml and re-rendered clusterA: commit both" in result.stdout


def test_scale_an_extra_user_group_in_a_list_keeps_its_comments(
    world: World, run: Callable[..., Result]
) -> None:
    before = world.cluster_file.read_text()
    result = run(world.root, "aws", "scale", "clusterA", "user-xlarge", "--max", "8", "--desired", "1")
    assert result.exit_code == 0, result.output
    assert world.cluster_file.read_text() == before.replace(
        "      maxSize: 5          # five at most\n",
        "      maxSize: 8          # five at most\n      desiredCapacity: 1\n",
    )
    assert group_sizes(world.clients, world.groups["user-xlarge"]) == (0, 8, 1)
    assert rendered_group(world.root, "user-xlarge")["maxSize"] == 8


def test_desired_capacity_is_left_to_the_autoscaler_unless_asked(
    world: World, run: Callable[..., Result]
) -> None:
    user = world.groups["user"]
    world.clients.autoscaling.set_desired_capacity(AutoScalingGroupName=user, DesiredCapacity=3)
    result = run(world.root, "aws", "scale", "clusterA", "user", "--max", "20")
    assert result.exit_code == 0, result.output
    assert "desiredCapacity  1          (AWS now 3, left to the cluster autoscaler)" in result.stdout
    assert group_sizes(world.clients, user) == (1, 20, 3)
    result = run(world.root, "aws", "scale", "clusterA", "user", "--desired", "2")
    assert result.exit_code == 0, result.output
    assert group_sizes(world.clients, user) == (1, 20, 2)


def test_dry_run_prints_the_plan_and_changes_nothing(world: World, run: Callable[..., Result]) -> None:
    before = snapshot(world.root)
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "12", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"clusterA node group core, Auto Scaling group {CORE}:",
        "  minSize          1          (AWS now 1)",
        "  maxSize          10 -> 12   (AWS now 10)",
        "  desiredCapacity  1          (AWS now 1, left to the cluster autoscaler)",
        "  clusters/clusterA/cluster.yaml: nodeGroups.core edited",
        "  AWS: UpdateAutoScalingGroup",
        "dry run: nothing changed",
    ]
    assert snapshot(world.root) == before
    assert group_sizes(world.clients, CORE) == (1, 10, 1)


def test_when_aws_refuses_the_yaml_and_tree_stay_as_they_were(
    world: World, run: Callable[..., Result]
) -> None:
    restricted_profile(
        world.clients,
        world.credentials,
        "reader",
        ["autoscaling:Describe*", "ec2:Describe*", "sts:GetCallerIdentity"],
    )
    assert run(world.root, "render", "clusterA").exit_code == 0
    before = snapshot(world.root)
    invoke = set_initial_no_auth_action_count(0)(
        lambda: run(world.root, "aws", "--profile", "reader", "scale", "clusterA", "core", "--max", "12")
    )
    result = invoke()
    assert result.exit_code == 3
    assert result.stderr == (
        f"AWS denied updating Auto Scaling group {CORE} (UpdateAutoScalingGroup): User: "
        "arn:aws:iam::123456789012:user/reader is not authorized to perform: autoscaling:UpdateAutoScalingGroup\n"
    )
    assert snapshot(world.root) == before
    assert group_sizes(world.clients, CORE) == (1, 10, 1)


def test_sizes_that_fail_the_render_checks_are_refused_before_aws(
    world: World, run: Callable[..., Result]
) -> None:
    before = snapshot(world.root)
    line, column = position_of(world.cluster_file, "nodeGroups.core.minSize")
    result = run(world.root, "aws", "scale", "clusterA", "core", "--min", "5", "--max", "3")
    assert result.exit_code == 2
    assert result.stderr == (
        f"clusters/clusterA/cluster.yaml:{line}:{column}: nodeGroups.core.minSize: 5 is more than maxSize 3\n"
        "1 problem in the input; nothing was written\n"
    )
    assert snapshot(world.root) == before
    assert group_sizes(world.clients, CORE) == (1, 10, 1)


def test_a_missing_group_is_an_error_and_nothing_changes(world: World, run: Callable[..., Result]) -> None:
    world.clients.autoscaling.delete_auto_scaling_group(AutoScalingGroupName=CORE, ForceDelete=True)
    before = snapshot(world.root)
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "12")
    assert result.exit_code == 3
    assert result.stderr == (
        "no Auto Scaling group in us-west-2 is tagged alpha.eksctl.io/cluster-name=clusterA and "
        "alpha.eksctl.io/nodegroup-name=core-v1-35: create the node group with eksctl first (a cluster made "
        'before hubfleet named generations calls it core until rotated: README, "Node-group generations")\n'
    )
    assert snapshot(world.root) == before


def test_an_ambiguous_group_is_an_error_and_nothing_changes(world: World, run: Callable[..., Result]) -> None:
    create_group(world.clients, world.cluster, world.cluster.node_group("core"), suffix="9Z9Z9Z")
    before = snapshot(world.root)
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "12")
    assert result.exit_code == 3
    assert result.stderr == (
        f"2 Auto Scaling groups are tagged as node group core-v1-35 of clusterA ({CORE}, "
        "eksctl-clusterA-nodegroup-core-v1-35-NodeGroup-9Z9Z9Z); hubfleet will not guess: delete the stale one "
        "or fix its eksctl tags\n"
    )
    assert snapshot(world.root) == before
    assert group_sizes(world.clients, CORE) == (1, 10, 1)


def test_groups_are_found_by_tags_old_eksctl_tags_included_other_clusters_ignored(world: World) -> None:
    core = world.cluster.node_group("core")
    other = Cluster(**{**world.cluster.__dict__, "name": "clusterB"})
    create_group(world.clients, other, core, suffix="B0B0B0")
    assert find_group(world.clients.autoscaling, "clusterA", "core-v1-35")["AutoScalingGroupName"] == CORE
    world.clients.autoscaling.delete_auto_scaling_group(AutoScalingGroupName=CORE, ForceDelete=True)
    old = create_group(world.clients, world.cluster, core, suffix="01D01D", old_style=True)
    assert find_group(world.clients.autoscaling, "clusterA", "core-v1-35")["AutoScalingGroupName"] == old
    with pytest.raises(AwsError, match="no Auto Scaling group in us-west-2 is tagged"):
        find_group(world.clients.autoscaling, "clusterA", "gpu-v1-35")


def test_aws_is_set_back_when_the_yaml_cannot_be_written(
    world: World, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(world.root)

    def disk_full(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("hubfleet.aws.scale.os.replace", disk_full)
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "12")
    assert result.exit_code == 2
    assert result.stderr == (
        "clusters/clusterA/cluster.yaml: cannot write it ([Errno 28] No space left on device); "
        "the Auto Scaling group was set back\n"
    )
    assert snapshot(world.root) == before
    assert group_sizes(world.clients, CORE) == (1, 10, 1)


def test_a_render_failure_after_aws_and_the_yaml_changed_is_a_local_problem(
    world: World, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = world.cluster_file.read_text()

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("hubfleet.aws.scale.render_project", disk_full)
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "12")
    assert result.exit_code == 2
    assert result.stderr == (
        f"clusters/clusterA/cluster.yaml: scaled {CORE} and wrote it, but rendering failed "
        "([Errno 28] No space left on device); run `hubfleet render clusterA`\n"
    )
    assert world.cluster_file.read_text() == before.replace("    maxSize: 10\n", "    maxSize: 12\n", 1)
    assert group_sizes(world.clients, CORE) == (1, 12, 1)


def test_when_the_yaml_already_says_so_only_aws_is_corrected(
    world: World, run: Callable[..., Result]
) -> None:
    world.clients.autoscaling.update_auto_scaling_group(AutoScalingGroupName=CORE, MaxSize=15)
    before = snapshot(world.root)
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "10")
    assert result.exit_code == 0, result.output
    assert "clusters/clusterA/cluster.yaml already said so; nothing to render" in result.stdout
    assert snapshot(world.root) == before
    assert group_sizes(world.clients, CORE) == (1, 10, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["scale", "clusterA", "gpu", "--max", "3"],
            "NODEGROUP: clusterA has no node group 'gpu' (node groups: ",
        ),
        (["scale", "clusterA", "core"], "--min/--max/--desired: give at least one of them"),
        (
            ["--region", "eu-west-1", "scale", "clusterA", "core", "--max", "3"],
            "clusterA is in us-west-2 (clusters/clusterA/cluster.yaml), not eu-west-1 (--region)",
        ),
    ],
)
def test_bad_requests_are_refused_with_one_line(
    world: World, run: Callable[..., Result], args: list[str], message: str
) -> None:
    before = snapshot(world.root)
    result = run(world.root, "aws", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert snapshot(world.root) == before


def test_credentials_of_another_account_are_refused(world: World, run: Callable[..., Result]) -> None:
    set_account(world.root, "111122223333")
    before = snapshot(world.root)
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "12")
    assert result.exit_code == 2
    assert result.stderr == (
        "clusterA belongs to AWS account 111122223333 (clusters/clusterA/cluster.yaml), but the credentials of "
        "the default credential chain are for account 123456789012; nothing was changed\n"
    )
    assert snapshot(world.root) == before
    assert group_sizes(world.clients, CORE) == (1, 10, 1)


def drop_connection(monkeypatch: pytest.MonkeyPatch, applied: bool, read_back: bool = True) -> None:
    """UpdateAutoScalingGroup loses its connection, after AWS applied it or before; optionally the
    read-back fails too."""
    from botocore.client import BaseClient
    from botocore.exceptions import ConnectionClosedError

    real = BaseClient._make_api_call
    dropped = {"yes": False}

    def call(self: BaseClient, operation: str, params: dict[str, object]) -> object:
        if operation == "UpdateAutoScalingGroup":
            if applied:
                real(self, operation, params)
            dropped["yes"] = True
            raise ConnectionClosedError(endpoint_url="https://autoscaling.us-west-2.amazonaws.com/")
        if dropped["yes"] and not read_back:
            raise ConnectionClosedError(endpoint_url="https://autoscaling.us-west-2.amazonaws.com/")
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)


DROPPED = (
    f"the connection dropped while updating Auto Scaling group {CORE} (Connection was closed before we received "
    'a valid response from endpoint URL: "https://autoscaling.us-west-2.amazonaws.com/".)'
)


def test_a_dropped_connection_after_aws_applied_the_update_writes_the_yaml(
    world: World, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_connection(monkeypatch, applied=True)
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "12")
    assert result.exit_code == 0, result.output
    assert group_sizes(world.clients, CORE) == (1, 12, 1)
    assert "    maxSize: 12\n" in world.cluster_file.read_text()
    assert rendered_group(world.root, "core")["maxSize"] == 12


def test_a_dropped_connection_before_aws_applied_it_changes_nothing_and_says_so(
    world: World, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(world.root)
    drop_connection(monkeypatch, applied=False)
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "12")
    assert result.exit_code == 3
    assert result.stderr == (
        f"{DROPPED}; read back, AWS shows min 1, max 10, desired 1: the update was not applied; "
        "clusters/clusterA/cluster.yaml was not changed, run the command again\n"
    )
    assert snapshot(world.root) == before


def test_an_outcome_that_cannot_be_read_back_is_said_to_be_unknown(
    world: World, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(world.root)
    drop_connection(monkeypatch, applied=True, read_back=False)
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "12")
    assert result.exit_code == 3
    assert result.stderr == (
        f"{DROPPED} and the group could not be read back: AWS may or may "
        "not have applied it; clusters/clusterA/cluster.yaml was not changed. See `hubfleet aws drift clusterA`, "
        "then run the command again\n"
    )
    assert snapshot(world.root) == before


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "AWS_ENDPOINT_URL",
            "not-a-url",
            "the AWS endpoint URL is not usable (Invalid endpoint: not-a-url); check AWS_ENDPOINT_URL and "
            "endpoint_url in your AWS config\n",
        ),
        (
            "AWS_CONFIG_FILE",
            "BROKEN",
            "the AWS configuration is not usable: Unable to parse config file: BROKEN\n",
        ),
    ],
)
def test_a_bad_endpoint_or_config_file_is_a_local_problem(
    world: World,
    run: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    variable: str,
    value: str,
    message: str,
) -> None:
    if value == "BROKEN":
        broken = tmp_path / "config"
        broken.write_text("[default\nregion = us-west-2\n")
        value = str(broken)
        message = message.replace("BROKEN", value)
    monkeypatch.setenv(variable, value)
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "12")
    assert (result.exit_code, result.stderr) == (2, message)


def answer_without_acting(monkeypatch: pytest.MonkeyPatch, operation: str, answer: dict[str, object]) -> None:
    """`operation` answers 200 with a body that is not its answer (a proxy's HTML page parses to
    nothing but the metadata) and changes nothing in AWS."""
    from botocore.client import BaseClient

    real = BaseClient._make_api_call

    def call(self: BaseClient, name: str, params: dict[str, object]) -> object:
        if name == operation:
            return {"ResponseMetadata": {"HTTPStatusCode": 200}, **answer}
        return real(self, name, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)


def test_a_200_that_did_not_update_the_group_changes_nothing_in_git(
    world: World, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(world.root)
    answer_without_acting(monkeypatch, "UpdateAutoScalingGroup", {})
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "12")
    assert result.exit_code == 3
    assert result.stderr == (
        f"AWS answered the update of {CORE} as done, but the group shows min 1, max 10, desired 1: the update "
        "is not confirmed; clusters/clusterA/cluster.yaml was not changed. See `hubfleet aws drift clusterA`, "
        "then run the command again\n"
    )
    assert snapshot(world.root) == before
    assert group_sizes(world.clients, CORE) == (1, 10, 1)


@pytest.mark.parametrize(
    ("operation", "doing"),
    [
        ("DescribeAutoScalingGroups", "looking up the Auto Scaling group of node group core-v1-35"),
        ("GetCallerIdentity", "asking STS who the credentials belong to"),
    ],
)
def test_a_garbage_answer_is_one_line_not_a_traceback(
    world: World, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, operation: str, doing: str
) -> None:
    before = snapshot(world.root)
    answer_without_acting(monkeypatch, operation, {})
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "12")
    assert result.exit_code == 3
    assert result.stderr.startswith(
        f"AWS's answer while {doing} lacks what every answer to it holds (KeyError: "
    )
    assert result.stderr.endswith("); hubfleet acted on none of it\n")
    assert snapshot(world.root) == before


def test_a_staged_edit_a_kill_leaves_behind_is_ignored_by_git(world: World, tmp_path: Path) -> None:
    """Between staging and the rename `aws scale` waits on AWS; a kill -9 there leaves the staged
    file, which git must not pick up (this repository's .gitignore, as a fleet's own)."""
    folder = tmp_path / "repo"
    folder.mkdir()
    shutil.copy(REPO / ".gitignore", folder / ".gitignore")
    (folder / "cluster.yaml").write_text("name: x\n")
    staged = stage_beside(folder / "cluster.yaml", "name: y\n")
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    ignored = subprocess.run(["git", "-C", str(folder), "check-ignore", "-q", staged.name], check=False)
    assert ignored.returncode == 0, staged.name


def test_an_unreadable_answer_to_the_update_is_read_back_like_a_lost_one(
    world: World, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty 200 body makes botocore's parser fail (found by tool/scripts/trust_trials.py)."""
    from botocore.client import BaseClient
    from botocore.parsers import ResponseParserError

    real = BaseClient._make_api_call

    def call(self: BaseClient, name: str, params: dict[str, object]) -> object:
        if name == "UpdateAutoScalingGroup":
            raise ResponseParserError("Unable to parse response (no element found: line 1, column 0)")
        return real(self, name, params)

    before = snapshot(world.root)
    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "12")
    assert result.exit_code == 3
    assert result.stderr.endswith(
        "read back, AWS shows min 1, max 10, desired 1: the update was not applied; "
        "clusters/clusterA/cluster.yaml was not changed, run the command again\n"
    )
    assert snapshot(world.root) == before
