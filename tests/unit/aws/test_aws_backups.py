"""`hubfleet aws backups`: volume tags and snapshot status against moto; DLM policies with botocore's
Stubber, which checks every request against the DLM API model (moto 5.2.5 has no DLM)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import Result

from hubfleet.aws.backups import (
    VolumeStatus,
    apply_policies,
    plan_policies,
    policy_document,
    role_arn,
)
from hubfleet.core.backups import Policy
from hubfleet.inputs.pipeline import load_cluster
from hubfleet.system.project import Project
from support.aws import (  # noqa: F401  (the `world` fixture)
    MOTO_ACCOUNT,
    World,
    create_volume,
    world_fixture,
)

BACKUPS = 'backups:\n  schedule: daily\n  time: "02:30"\n  keep: 7\n'


def with_backups(world: World, hub_overrides: dict[str, str] | None = None) -> None:
    """Turn backups on in the world's cluster (and give hubs their own backups blocks)."""
    path = world.cluster_file
    path.write_text(path.read_text() + BACKUPS)
    for hub, block in (hub_overrides or {}).items():
        hub_file = world.root / f"clusters/clusterA/hubs/{hub}.yaml"
        hub_file.write_text(hub_file.read_text() + block)


def tags_of(world: World, volume: str) -> dict[str, str]:
    (found,) = world.clients.ec2.describe_volumes(VolumeIds=[volume])["Volumes"]
    return {tag["Key"]: tag["Value"] for tag in found.get("Tags", []) if tag["Key"].startswith("hubfleet/")}


def test_tag_gives_hub_volumes_their_tags_dry_run_first(world: World, run: Callable[..., Result]) -> None:
    with_backups(world, {"physics101": "backups: {keep: 30}\n"})
    drive = create_volume(world.clients, "clusterA", "us-west-2b", "physics101", "data-drive-nfs-0")
    db = create_volume(world.clients, "clusterA", "us-west-2b", "datalab", "hub-db-dir")
    other = create_volume(world.clients, "clusterA", "us-west-2b", "monitoring", "prometheus-db")
    dry = run(world.root, "aws", "backups", "tag", "clusterA", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines() == [
        f"  tag {db} (datalab hub-db): hubfleet/backup=clusterA-daily-7, hubfleet/cluster=clusterA, "
        "hubfleet/hub=datalab, hubfleet/kind=hub-db",
        f"  tag {drive} (physics101 drive): hubfleet/backup=clusterA-daily-30, hubfleet/cluster=clusterA, "
        "hubfleet/hub=physics101, hubfleet/kind=drive",
        "dry run: nothing changed",
    ]
    assert tags_of(world, drive) == {}
    done = run(world.root, "aws", "backups", "tag", "clusterA")
    assert done.stdout.splitlines()[-1] == "clusterA: tagged 2 volumes"
    assert tags_of(world, drive)["hubfleet/backup"] == "clusterA-daily-30"
    assert tags_of(world, other) == {}
    again = run(world.root, "aws", "backups", "tag", "clusterA")
    assert again.stdout == "clusterA: every hub volume is tagged as it should be\n"


def test_a_hub_that_opts_out_is_tagged_none(world: World, run: Callable[..., Result]) -> None:
    with_backups(world, {"datalab": "backups: {enabled: false, reason: workshop scratch space only}\n"})
    drive = create_volume(world.clients, "clusterA", "us-west-2b", "datalab", "data-drive-nfs-0")
    assert run(world.root, "aws", "backups", "tag", "clusterA").exit_code == 0
    assert tags_of(world, drive)["hubfleet/backup"] == "none"


def snapshot(world: World, volume: str) -> str:
    return str(world.clients.ec2.create_snapshot(VolumeId=volume)["SnapshotId"])


def test_status_reports_fresh_and_missing_snapshots(world: World, run: Callable[..., Result]) -> None:
    with_backups(world)
    drive = create_volume(world.clients, "clusterA", "us-west-2b", "physics101", "data-drive-nfs-0")
    db = create_volume(world.clients, "clusterA", "us-west-2b", "physics101", "hub-db-dir")
    taken = snapshot(world, drive)
    result = run(world.root, "aws", "backups", "status", "clusterA", "physics101")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "backups of clusterA:"
    assert lines[1].startswith(
        f"  OK       physics101 drive ({drive}): latest {taken} 0.0 h old, 40 GiB; 1 kept"
    )
    assert lines[2] == f"  STALE    physics101 hub-db ({db}): no snapshot yet (clusterA-daily-7)"
    assert result.stderr == "clusterA: 1 volume has no snapshot younger than twice its schedule\n"
    report = json.loads(run(world.root, "aws", "backups", "status", "clusterA", "--format", "json").stdout)
    assert [(r["hub"], r["kind"], r["snapshots"], r["stale"]) for r in report] == [
        ("physics101", "drive", 1, False),
        ("physics101", "hub-db", 0, True),
    ]


def test_a_snapshot_older_than_twice_the_schedule_is_stale() -> None:
    policy = Policy("clusterA", "daily", "03:00", 7)
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    old = {
        "SnapshotId": "snap-1",
        "State": "completed",
        "StartTime": now - timedelta(hours=49),
        "VolumeSize": 40,
    }
    status = VolumeStatus("physics101", "drive", "vol-1", policy, [old])  # type: ignore[list-item]
    assert status.stale(now)
    assert not status.stale(now - timedelta(hours=2))
    assert status.describe(now) == (
        "  STALE    physics101 drive (vol-1): latest snap-1 49.0 h old, 40 GiB; 1 kept (clusterA-daily-7)"
    )


def test_an_unknown_hub_is_refused(world: World, run: Callable[..., Result]) -> None:
    result = run(world.root, "aws", "backups", "status", "clusterA", "nohub")
    assert (result.exit_code, result.stderr) == (
        2,
        "HUB: cluster clusterA has no hub 'nohub' (hubs: bio150, chem200-2025, datalab, physics101)\n",
    )


# Policies, with botocore's Stubber --------------------------------------------------------------


def cluster_with_backups(tmp_path: Path, root: Path) -> Any:
    path = root / "clusters/clusterA/cluster.yaml"
    path.write_text(path.read_text() + BACKUPS)
    hub = root / "clusters/clusterA/hubs/physics101.yaml"
    hub.write_text(hub.read_text() + "backups: {keep: 30}\n")
    return load_cluster(Project(root), "clusterA")


def dlm_client() -> Any:
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-west-2"
    ).client("dlm")


def test_enable_creates_a_policy_per_keep_and_updates_one_that_differs(
    rendered: Path, tmp_path: Path
) -> None:
    cluster = cluster_with_backups(tmp_path, rendered)
    daily7, daily30 = (Policy("clusterA", "daily", "02:30", keep) for keep in (7, 30))
    assert [p.tag for p in cluster.backup_policies] == ["clusterA-daily-30", "clusterA-daily-7"]
    dlm = dlm_client()
    stub = Stubber(dlm)
    stub.add_response(
        "get_lifecycle_policies",
        {"Policies": [{"PolicyId": "policy-0123456789abcdef0", "Description": "hubfleet clusterA-daily-7"}]},
        {"TagsToAdd": ["hubfleet/cluster=clusterA"]},
    )
    stale = {
        **policy_document(daily7),
        "Schedules": [{**policy_document(daily7)["Schedules"][0], "RetainRule": {"Count": 5}}],
    }
    stub.add_response(
        "get_lifecycle_policy",
        {"Policy": {"PolicyId": "policy-0123456789abcdef0", "State": "ENABLED", "PolicyDetails": stale}},
        {"PolicyId": "policy-0123456789abcdef0"},
    )
    arn = role_arn(MOTO_ACCOUNT, "us-west-2")
    stub.add_response(
        "create_lifecycle_policy",
        {"PolicyId": "policy-0fedcba9876543210"},
        {
            "ExecutionRoleArn": arn,
            "Description": "hubfleet clusterA-daily-30",
            "State": "ENABLED",
            "PolicyDetails": policy_document(daily30),
            "Tags": {"hubfleet/cluster": "clusterA"},
        },
    )
    stub.add_response(
        "update_lifecycle_policy",
        {},
        {
            "PolicyId": "policy-0123456789abcdef0",
            "ExecutionRoleArn": arn,
            "State": "ENABLED",
            "Description": "hubfleet clusterA-daily-7",
            "PolicyDetails": policy_document(daily7),
        },
    )
    with stub:
        changes = plan_policies(dlm, cluster)
        assert [c.describe() for c in changes] == [
            "  create   DLM policy hubfleet clusterA-daily-30",
            "  update   DLM policy hubfleet clusterA-daily-7 (policy-0123456789abcdef0)",
        ]
        apply_policies(dlm, changes, MOTO_ACCOUNT, "us-west-2")
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("schedule", "rule"),
    [
        ("hourly", {"Interval": 1, "IntervalUnit": "HOURS"}),
        ("daily", {"Interval": 24, "IntervalUnit": "HOURS", "Times": ["02:30"]}),
        ("weekly", {"CronExpression": "cron(30 02 ? * SUN *)"}),
    ],
)
def test_policy_documents_snapshot_volumes_by_their_backup_tag(schedule: str, rule: dict[str, Any]) -> None:
    document = policy_document(Policy("clusterA", schedule, "02:30", 7))
    assert document["TargetTags"] == [{"Key": "hubfleet/backup", "Value": f"clusterA-{schedule}-7"}]
    (only,) = document["Schedules"]
    assert (only["CreateRule"], only["RetainRule"], only["CopyTags"]) == (rule, {"Count": 7}, True)


def test_drift_reports_a_missing_policy(world: World) -> None:
    from hubfleet.aws.drift import find_drift

    with_backups(world)
    cluster = load_cluster(Project(world.root), "clusterA")
    dlm = dlm_client()
    stub = Stubber(dlm)
    stub.add_response(
        "get_lifecycle_policies", {"Policies": []}, {"TagsToAdd": ["hubfleet/cluster=clusterA"]}
    )
    with stub:
        report = find_drift(cluster, MOTO_ACCOUNT, world.clients.autoscaling, world.clients.ec2, dlm)
    assert [str(d) for d in report.differences if d.subject.startswith("backup")] == [
        "backup policy clusterA-daily-7: DLM policy: input as cluster.yaml says, AWS missing; run "
        "`hubfleet aws backups enable clusterA`"
    ]


@pytest.mark.parametrize(
    ("block", "field", "message"),
    [
        (
            {"enabled": False},
            "backups.enabled",
            "false needs a reason (backups.reason): its users' work would have no snapshot",
        ),
        (
            {"reason": "scratch space for a workshop"},
            "backups.reason",
            "is only for enabled: false; remove it",
        ),
    ],
)
def test_a_hub_opts_out_of_backups_only_with_a_reason(
    tmp_path: Path, run: Callable[..., Result], block: dict[str, Any], field: str, message: str
) -> None:
    from support.builders import make_cluster, position_of

    root = make_cluster(tmp_path, hubs={"course": {"backups": block}})
    result = run(root, "render", "clusterA")
    line, column = position_of(root / "clusters/clusterA/hubs/course.yaml", field)
    assert result.exit_code == 2
    assert (
        f"clusters/clusterA/hubs/course.yaml:{line}:{column}: {field}: {message}"
        in result.output.splitlines()
    )


def test_volumes_are_tagged_at_birth_by_the_ebs_csi_driver(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    from conftest import load_docs
    from support.builders import make_cluster

    root = make_cluster(tmp_path, backups={"schedule": "daily", "keep": 7})
    assert run(root, "render", "clusterA").exit_code == 0
    (config,) = load_docs(root / "gitops/eksctl/clusterA.yaml")
    (ebs,) = [addon for addon in config["addons"] if addon["name"] == "aws-ebs-csi-driver"]
    assert json.loads(ebs["configurationValues"]) == {
        "controller": {
            "extraVolumeTags": {"hubfleet/cluster": "clusterA", "hubfleet/backup": "clusterA-daily-7"}
        }
    }


# Restore --------------------------------------------------------------------------------------------


def volume_count(world: World) -> int:
    return len(world.clients.ec2.describe_volumes()["Volumes"])


def test_restore_one_users_folder_beside_the_live_drive(world: World, run: Callable[..., Result]) -> None:
    from conftest import load_docs

    drive = create_volume(world.clients, "clusterA", "us-west-2b", "physics101", "data-drive-nfs-0")
    older = snapshot(world, drive)
    result = run(world.root, "aws", "backups", "restore", "clusterA", "physics101", "--user", "alice")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"restore alice's folder of hub physics101 from {older} (taken ")
    assert (
        lines[1:3]
        == [
            "  make a 40 GiB volume from it in us-west-2b, beside the live drive",
            lines[2],
        ]
        and lines[2].startswith("  copy into restored-")
        and lines[2].endswith(" folders of the live drive; nothing is overwritten")
    )
    (made,) = [v for v in world.clients.ec2.describe_volumes()["Volumes"] if v.get("SnapshotId") == older]
    assert made["AvailabilityZone"] == "us-west-2b"
    assert {t["Key"]: t["Value"] for t in made["Tags"]}["hubfleet/restore-of"] == older
    (restore_input,) = (world.root / "clusters/clusterA/restores").glob("physics101-*.yaml")
    stamp = restore_input.stem.removeprefix("physics101-")
    assert run(world.root, "render", "clusterA").exit_code == 0
    volume, claim, job = load_docs(world.root / f"gitops/hubs/clusterA/physics101/restore-{stamp}.yaml")
    assert volume["spec"]["csi"] == {
        "driver": "ebs.csi.aws.com",
        "volumeHandle": made["VolumeId"],
        "fsType": "ext4",
        "readOnly": True,
    }
    assert claim["spec"]["volumeName"] == volume["metadata"]["name"]
    pod = job["spec"]["template"]["spec"]
    (copy,) = pod["containers"]
    assert {"name": "restored", "mountPath": "/restore", "readOnly": True} in copy["volumeMounts"]
    assert pod["volumes"][0]["persistentVolumeClaim"] == {"claimName": f"restore-{stamp}", "readOnly": True}
    # The only thing written is a new restored-<stamp> folder in alice's home.
    assert copy["command"][-1] == (
        f"mkdir /homes/alice/restored-{stamp} && cp -a /restore/alice/. /homes/alice/restored-{stamp}/"
    )
    assert (pod["securityContext"]["runAsUser"], copy["securityContext"]["capabilities"]) == (
        1000,
        {"drop": ["ALL"]},
    )

    finished = run(
        world.root, "aws", "backups", "restore", "clusterA", "physics101", "--done", "--delete-volume"
    )
    assert finished.exit_code == 0, finished.output
    assert finished.stdout.splitlines()[:2] == [
        f"removed clusters/clusterA/restores/{restore_input.name}",
        f"deleted volume {made['VolumeId']}",
    ]
    assert not restore_input.exists()


@pytest.mark.parametrize(
    "case", ["another hub's snapshot", "nothing before the time", "drive out of the core zone"]
)
def test_a_refused_restore_creates_nothing(world: World, run: Callable[..., Result], case: str) -> None:
    zone = "us-west-2a" if case == "drive out of the core zone" else "us-west-2b"
    drive = create_volume(world.clients, "clusterA", zone, "physics101", "data-drive-nfs-0")
    other = create_volume(world.clients, "clusterA", "us-west-2b", "datalab", "data-drive-nfs-0")
    mine, theirs = snapshot(world, drive), snapshot(world, other)
    args = {
        "another hub's snapshot": ["--snapshot", theirs],
        "nothing before the time": ["--before", "2020-01-01T00:00"],
        "drive out of the core zone": [],
    }[case]
    before = volume_count(world)
    result = run(world.root, "aws", "backups", "restore", "clusterA", "physics101", *args)
    expected = {
        "another hub's snapshot": f"--snapshot: {theirs} is not a completed snapshot of hub physics101's drive ({drive})",
        "nothing before the time": "--before: no snapshot of hub physics101's drive before 2020-01-01 00:00 UTC",
        "drive out of the core zone": f"HUB: hub physics101's drive {drive} is in us-west-2a, not the core zone "
        "us-west-2b; fix that first (`hubfleet aws drift` shows it), a restore must run beside the live drive",
    }[case]
    assert (result.exit_code, result.stderr) == (2, expected + "\n")
    assert volume_count(world) == before
    assert not (world.root / "clusters/clusterA/restores").exists()
    assert mine


def test_a_whole_drive_restore_copies_each_users_folder_but_the_shared_one() -> None:
    from hubfleet.inputs.model.cluster import Restore
    from hubfleet.render.restore import copy_script

    restore = Restore(
        "physics101",
        "20261201t2330z",
        "snap-0123456789abcdef0",
        "vol-0123456789abcdef0",
        "us-west-2b",
        "40Gi",
        None,
        "clusters/clusterA/restores/physics101-20261201t2330z.yaml",
    )
    assert copy_script(restore) == (
        'for folder in /restore/*/; do user=$(basename "$folder"); [ "$user" = _shared ] || [ "$user" = lost+found ] '
        '&& continue; [ "$(stat -c %u "$folder")" = 1000 ] || continue; '
        'mkdir -p "/homes/$user" && mkdir "/homes/$user/restored-20261201t2330z" && '
        'cp -a "$folder." "/homes/$user/restored-20261201t2330z/" || exit 1; done'
    )


def test_a_restore_of_a_hub_that_is_not_there_is_refused(tmp_path: Path, run: Callable[..., Result]) -> None:
    from support.builders import make_cluster

    root = make_cluster(tmp_path, hubs={"course": {}})
    restores = root / "clusters/clusterA/restores"
    restores.mkdir()
    (restores / "gone-20261201t2330z.yaml").write_text(
        "hub: gone\nstamp: 20261201t2330z\nsnapshot: snap-0123456789abcdef0\nvolume: vol-0123456789abcdef0\n"
        "zone: us-west-2b\nsize: 40Gi\n"
    )
    result = run(root, "render", "clusterA")
    assert (result.exit_code, result.output) == (
        2,
        "clusters/clusterA/restores/gone-20261201t2330z.yaml:1:1: hub: cluster clusterA has no hub 'gone'\n"
        "1 problem in the input; nothing was written\n",
    )


def test_a_restore_with_another_accounts_credentials_creates_nothing(
    world: World, run: Callable[..., Result]
) -> None:
    from support.aws import set_account

    drive = create_volume(world.clients, "clusterA", "us-west-2b", "physics101", "data-drive-nfs-0")
    snapshot(world, drive)
    set_account(world.root, "111122223333")
    before = volume_count(world)
    result = run(world.root, "aws", "backups", "restore", "clusterA", "physics101")
    assert (result.exit_code, result.stderr) == (
        2,
        "clusterA belongs to AWS account 111122223333 (clusters/clusterA/cluster.yaml), but the credentials of "
        "the default credential chain are for account 123456789012; nothing was changed\n",
    )
    assert volume_count(world) == before


def test_a_policy_aws_filled_in_with_its_defaults_is_unchanged(rendered: Path, tmp_path: Path) -> None:
    cluster = cluster_with_backups(tmp_path, rendered)
    dlm = dlm_client()
    stub = Stubber(dlm)
    ids = {"clusterA-daily-7": "policy-0123456789abcdef0", "clusterA-daily-30": "policy-0fedcba9876543210"}
    stub.add_response(
        "get_lifecycle_policies",
        {
            "Policies": [
                {"PolicyId": pid, "Description": f"hubfleet {tag}"} for tag, pid in sorted(ids.items())
            ]
        },
        {"TagsToAdd": ["hubfleet/cluster=clusterA"]},
    )
    for tag, pid in sorted(ids.items()):
        document = policy_document(Policy("clusterA", "daily", "02:30", int(tag.rsplit("-", 1)[1])))
        schedule = document["Schedules"][0]
        # What DLM adds when it stores a policy.
        filled = {
            **document,
            "PolicyLanguage": "STANDARD",
            "Schedules": [{**schedule, "CreateRule": {**schedule["CreateRule"], "Location": "CLOUD"}}],
        }
        stub.add_response(
            "get_lifecycle_policy",
            {"Policy": {"PolicyId": pid, "State": "ENABLED", "PolicyDetails": filled}},
            {"PolicyId": pid},
        )
    with stub:
        assert [change.action for change in plan_policies(dlm, cluster)] == ["unchanged", "unchanged"]
