"""Shared layer: how hub volumes are tagged and snapshotted, named once for render, aws and rules.

Every drive and hub-database volume carries tags that say its cluster, hub, kind and backup
policy. An AWS Data Lifecycle Manager policy per (cluster, schedule, keep) snapshots the
volumes whose `hubfleet/backup` tag names it; `hubfleet aws backups` creates those policies,
tags volumes that exist already, reports the age of the latest snapshots, and restores.
"""

from __future__ import annotations

from dataclasses import dataclass

from .names import DRIVE_CLAIM, HUB_DB_CLAIM

TAG_CLUSTER = "hubfleet/cluster"
TAG_HUB = "hubfleet/hub"
TAG_KIND = "hubfleet/kind"
TAG_BACKUP = "hubfleet/backup"
#: The `hubfleet/backup` value of a volume that is not backed up (its hub opted out).
NO_BACKUP = "none"
KIND_DRIVE = "drive"
KIND_HUB_DB = "hub-db"
CLAIM_KINDS = {DRIVE_CLAIM: KIND_DRIVE, HUB_DB_CLAIM: KIND_HUB_DB}
INTERVAL_HOURS = {"hourly": 1, "daily": 24, "weekly": 168}
DEFAULT_TIME = "03:00"
#: The IAM role DLM assumes (`aws dlm create-default-role` makes it with the managed policy
#: AWSDataLifecycleManagerServiceRole).
DLM_ROLE = "AWSDataLifecycleManagerDefaultRole"


@dataclass(frozen=True)
class Policy:
    """One snapshot policy: what `hubfleet/backup` values name and DLM enforces."""

    cluster: str
    schedule: str
    time: str
    keep: int

    @property
    def tag(self) -> str:
        return f"{self.cluster}-{self.schedule}-{self.keep}"

    @property
    def interval_hours(self) -> int:
        return INTERVAL_HOURS[self.schedule]


def volume_tags(cluster: str, hub: str, kind: str, policy: Policy | None) -> dict[str, str]:
    """The tags a hub volume should carry."""
    return {
        TAG_CLUSTER: cluster,
        TAG_HUB: hub,
        TAG_KIND: kind,
        TAG_BACKUP: policy.tag if policy else NO_BACKUP,
    }
