"""`hubfleet aws backups restore`: a volume from a snapshot of a hub's drive, beside the live one.

The command never touches the live drive. It picks the snapshot (given, the latest, or the
latest before a time), checks it is this hub's and that the live drive is in the core zone,
makes a volume from it in the core zone, and writes the restore as an input
(`clusters/<cluster>/restores/<hub>-<stamp>.yaml`); render turns that into a read-only
volume and a copy Job in the hub's folder (render/restore.py), which the next commit
carries. `--done` removes the input (the objects go with the next render), and deletes the
volume only when asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.backups import TAG_CLUSTER, TAG_HUB, TAG_KIND
from ..core.names import DRIVE_CLAIM
from ..errors import UsageError
from ..inputs.model.cluster import Cluster
from ..system.lock import write_input, writing_inputs
from ..system.project import Project
from ..write.emit import dump
from .session import aws_errors
from .volumes import cluster_volumes, volume_claim

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import SnapshotTypeDef

TAG_RESTORE_OF = "hubfleet/restore-of"
STAMP_FORMAT = "%Y%m%dt%H%Mz"


@dataclass(frozen=True)
class RestorePlan:
    cluster: str
    hub: str
    snapshot: str
    taken: datetime
    size_gib: int
    zone: str
    user: str | None
    stamp: str

    def describe(self) -> list[str]:
        what = f"{self.user}'s folder" if self.user else "every user's folder"
        return [
            f"restore {what} of hub {self.hub} from {self.snapshot} (taken {self.taken:%Y-%m-%d %H:%M} UTC):",
            f"  make a {self.size_gib} GiB volume from it in {self.zone}, beside the live drive",
            f"  copy into restored-{self.stamp} folders of the live drive; nothing is overwritten",
        ]


def _live_drive(ec2: EC2Client, cluster: Cluster, hub: str) -> tuple[str, str]:
    """(volume id, zone) of the hub's live drive."""
    for volume in cluster_volumes(ec2, cluster.name):
        if volume_claim(volume) == (hub, DRIVE_CLAIM):
            return volume.get("VolumeId", ""), volume.get("AvailabilityZone", "")
    raise UsageError("HUB", f"hub {hub} of {cluster.name} has no drive volume in AWS to restore")


def _snapshots(ec2: EC2Client, volume: str, cluster: str, hub: str) -> list[SnapshotTypeDef]:
    """Completed snapshots of the hub's drive: of its volume, or tagged as this cluster's hub's drive
    (a hub of the same name in another cluster of the account is another hub)."""
    found: dict[str, SnapshotTypeDef] = {}
    queries = [
        [{"Name": "volume-id", "Values": [volume]}],
        [
            {"Name": f"tag:{TAG_CLUSTER}", "Values": [cluster]},
            {"Name": f"tag:{TAG_HUB}", "Values": [hub]},
            {"Name": f"tag:{TAG_KIND}", "Values": ["drive"]},
        ],
    ]
    with aws_errors(f"listing the snapshots of hub {hub}'s drive"):
        for filters in queries:
            for page in ec2.get_paginator("describe_snapshots").paginate(OwnerIds=["self"], Filters=filters):  # type: ignore[arg-type]
                for snapshot in page["Snapshots"]:
                    if snapshot.get("State") == "completed":
                        found[snapshot.get("SnapshotId", "")] = snapshot
    return sorted(found.values(), key=lambda s: s["StartTime"])


def plan_restore(
    ec2: EC2Client,
    cluster: Cluster,
    hub: str,
    now: datetime,
    snapshot: str | None = None,
    before: datetime | None = None,
    user: str | None = None,
) -> RestorePlan:
    """The restore to make, or UsageError saying why none can be."""
    volume, zone = _live_drive(ec2, cluster, hub)
    if zone != cluster.core_zone:
        raise UsageError(
            "HUB",
            f"hub {hub}'s drive {volume} is in {zone}, not the core zone {cluster.core_zone}; fix that first "
            "(`hubfleet aws drift` shows it), a restore must run beside the live drive",
        )
    candidates = _snapshots(ec2, volume, cluster.name, hub)
    if snapshot is not None:
        chosen = next((s for s in candidates if s.get("SnapshotId") == snapshot), None)
        if chosen is None:
            raise UsageError(
                "--snapshot", f"{snapshot} is not a completed snapshot of hub {hub}'s drive ({volume})"
            )
    else:
        eligible = [s for s in candidates if before is None or s["StartTime"] < before]
        if not eligible:
            when = f" before {before:%Y-%m-%d %H:%M} UTC" if before else ""
            raise UsageError("--before" if before else "HUB", f"no snapshot of hub {hub}'s drive{when}")
        chosen = eligible[-1]
    return RestorePlan(
        cluster.name,
        hub,
        chosen.get("SnapshotId", ""),
        chosen["StartTime"],
        int(chosen.get("VolumeSize", 1)),
        cluster.core_zone,
        user,
        now.strftime(STAMP_FORMAT),
    )


def restore_file(project: Project, cluster: str, hub: str, stamp: str) -> Path:
    return project.restores_dir(cluster) / f"{hub}-{stamp}.yaml"


def apply_restore(project: Project, ec2: EC2Client, plan: RestorePlan) -> tuple[str, Path]:
    """Make the volume and write the restore input; (volume id, input file)."""
    tags = {TAG_CLUSTER: plan.cluster, TAG_HUB: plan.hub, TAG_RESTORE_OF: plan.snapshot}
    with aws_errors(f"making a volume from {plan.snapshot}"):
        made = ec2.create_volume(
            SnapshotId=plan.snapshot,
            AvailabilityZone=plan.zone,
            VolumeType="gp3",
            TagSpecifications=[
                {"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
            ],
        )
    volume = str(made["VolumeId"])
    document = {
        "hub": plan.hub,
        "stamp": plan.stamp,
        "snapshot": plan.snapshot,
        "volume": volume,
        "zone": plan.zone,
        "size": f"{plan.size_gib}Gi",
        **({"user": plan.user} if plan.user else {}),
    }
    path = restore_file(project, plan.cluster, plan.hub, plan.stamp)
    header = (
        f"# A restore of hub {plan.hub}'s drive from {plan.snapshot}, written by `hubfleet aws backups "
        f"restore`.\n# Remove it with `hubfleet aws backups restore {plan.cluster} {plan.hub} --done`.\n"
    )
    write_input(project, path, header + dump(document))
    return volume, path


def finish_restores(
    project: Project, ec2: EC2Client, cluster: Cluster, hub: str, delete_volume: bool
) -> list[str]:
    """Remove the hub's restore inputs (and, when asked, their volumes); what was done, a line each."""
    done = []
    for restore in (r for r in cluster.restores if r.hub == hub):
        with writing_inputs(project):
            (project.root / restore.source_file).unlink()
        done.append(f"removed {restore.source_file}")
        if delete_volume:
            with aws_errors(f"deleting volume {restore.volume}"):
                ec2.delete_volume(VolumeId=restore.volume)
            done.append(f"deleted volume {restore.volume}")
        else:
            done.append(
                f"kept volume {restore.volume} (delete it with --delete-volume once the copy is checked)"
            )
    if not done:
        raise UsageError("HUB", f"hub {hub} has no restore in progress")
    return done
