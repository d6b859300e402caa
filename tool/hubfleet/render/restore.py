"""A drive restore as objects in the hub's folder: the restored EBS volume, bound read-only, and a
Job that copies it into `restored-<stamp>` folders of the hub's live drive.

Nothing is ever overwritten: each user's copy goes to a new folder (`mkdir` without `-p`
fails if it exists, and the Job then fails rather than mix two restores). The Job runs as
the notebook user, with no capabilities, on a core node of the volume's zone. Users move
what they need back themselves. `hubfleet aws backups restore --done` removes the input,
so the next render removes these objects; the EBS volume stays unless deleted on purpose.
"""

from __future__ import annotations

from typing import Any

from ..core.names import HOME_CLAIM, NODE_PURPOSE_LABEL
from ..inputs.model.cluster import Restore
from .common import Manifest, metadata
from .home import HOME_OWNER_IMAGE, SHARED_DIR

RESTORE_MOUNT = "/restore"
HOMES_MOUNT = "/homes"
ZONE_LABEL = "topology.kubernetes.io/zone"


def restore_name(restore: Restore) -> str:
    return f"restore-{restore.stamp}"


def copy_script(restore: Restore) -> str:
    """Copy one user's folder, or each one's, into a new restored-<stamp> folder of their home."""
    target = f"restored-{restore.stamp}"
    if restore.user:
        return (
            f"mkdir {HOMES_MOUNT}/{restore.user}/{target} && "
            f"cp -a {RESTORE_MOUNT}/{restore.user}/. {HOMES_MOUNT}/{restore.user}/{target}/"
        )
    # Users' folders only: not the shared one, not ext4's lost+found (root's), nothing that is not
    # the notebook user's.
    return (
        f'for folder in {RESTORE_MOUNT}/*/; do user=$(basename "$folder"); '
        f'[ "$user" = {SHARED_DIR} ] || [ "$user" = lost+found ] && continue; '
        f'[ "$(stat -c %u "$folder")" = 1000 ] || continue; mkdir -p "{HOMES_MOUNT}/$user" && '
        f'mkdir "{HOMES_MOUNT}/$user/{target}" && cp -a "$folder." "{HOMES_MOUNT}/$user/{target}/" || exit 1; done'
    )


def render_restore(restore: Restore) -> list[Manifest]:
    name = restore_name(restore)
    zone_term = {"matchExpressions": [{"key": ZONE_LABEL, "operator": "In", "values": [restore.zone]}]}
    volume: Manifest = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": metadata(f"{restore.hub}-{name}"),
        "spec": {
            "capacity": {"storage": restore.size},
            "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "",
            "csi": {
                "driver": "ebs.csi.aws.com",
                "volumeHandle": restore.volume,
                "fsType": "ext4",
                "readOnly": True,
            },
            "nodeAffinity": {"required": {"nodeSelectorTerms": [zone_term]}},
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "namespace": restore.hub,
                "name": name,
            },
        },
    }
    claim: Manifest = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": metadata(name, restore.hub),
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "",
            "volumeName": f"{restore.hub}-{name}",
            "resources": {"requests": {"storage": restore.size}},
        },
    }
    job: Manifest = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(name, restore.hub),
        "spec": {"backoffLimit": 2, "template": {"spec": _pod(restore, name, zone_term)}},
    }
    return [volume, claim, job]


def _pod(restore: Restore, name: str, zone_term: dict[str, Any]) -> dict[str, Any]:
    purpose = {"key": NODE_PURPOSE_LABEL, "operator": "In", "values": ["core"]}
    image = f"{HOME_OWNER_IMAGE['name']}:{HOME_OWNER_IMAGE['tag']}"
    return {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [*zone_term["matchExpressions"], purpose]}]
                }
            }
        },
        "securityContext": {"runAsUser": 1000, "runAsGroup": 100, "runAsNonRoot": True},
        "containers": [
            {
                "name": "copy",
                "image": image,
                "command": ["sh", "-c", copy_script(restore)],
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                },
                "volumeMounts": [
                    {"name": "restored", "mountPath": RESTORE_MOUNT, "readOnly": True},
                    {"name": "homes", "mountPath": HOMES_MOUNT},
                ],
                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
            }
        ],
        "volumes": [
            {"name": "restored", "persistentVolumeClaim": {"claimName": name, "readOnly": True}},
            {"name": "homes", "persistentVolumeClaim": {"claimName": HOME_CLAIM}},
        ],
    }
