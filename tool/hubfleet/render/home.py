"""Where a user's files are in their server: their own folder of the hub's drive, and the shared one.

Each user mounts `<drive>/<username>` at their home. With `drive.shared`, every user also
mounts `<drive>/_shared` read-only at `~/shared`, and the hub's admins mount it read-write at
`~/shared-readwrite` (the course material instructors publish). z2jh mounts the same volume
for everyone (`singleuser.storage.extraVolumeMounts`, key `shared`); whether a user is an admin is known only
when the server starts, so the admins' mount is added by a KubeSpawner `modify_pod_hook` to the
notebook container of the pod KubeSpawner built. It does not touch `KubeSpawner.volume_mounts`,
whose container type is z2jh's choice (a dict keyed by name in chart 4.x, a list before).
KubeSpawner escapes user names (`_` becomes `-5f`), so no user's folder can be `_shared`.

The export squashes every client to 1000:100 (the drive chart), so the folders kubelet makes
for a `subPath` are the notebook user's already; the init container below still hands a
folder to 1000:100 for a drive whose folders were made under the older, unsquashed export.
"""

from __future__ import annotations

from typing import Any

HOME_MOUNT = "/home/jovyan"
HOME_VOLUME = "home"
SHARED_DIR = "_shared"
SHARED_MOUNT = f"{HOME_MOUNT}/shared"
SHARED_WRITE_MOUNT = f"{HOME_MOUNT}/shared-readwrite"
SHARED_HOOK = "hubfleet-shared-readwrite"
#: Where the init container sees the shared folder, to hand it to the notebook user.
SHARED_OWNER_MOUNT = "/srv/shared"
#: Runs before each user server as root in the pod (squashed to 1000:100 by the export): a no-op on
#: a folder that is the user's already, and the hand-over of one made under an older export.
HOME_OWNER_IMAGE = {"name": "docker.io/library/busybox", "tag": "1.37.0"}


def home_owner(shared: bool) -> dict[str, Any]:
    """The init container that gives the user their home (and the shared folder) as uid 1000."""
    image = f"{HOME_OWNER_IMAGE['name']}:{HOME_OWNER_IMAGE['tag']}"
    script = f"chown 1000:100 {HOME_MOUNT} && chmod 0750 {HOME_MOUNT}"
    mounts = [{"name": HOME_VOLUME, "mountPath": HOME_MOUNT, "subPath": "{username}"}]
    if shared:
        script += f" && chown 1000:100 {SHARED_OWNER_MOUNT} && chmod 0755 {SHARED_OWNER_MOUNT}"
        mounts.append({"name": HOME_VOLUME, "mountPath": SHARED_OWNER_MOUNT, "subPath": SHARED_DIR})
    return {
        "name": "home-owner",
        "image": image,
        "command": ["sh", "-c", script],
        "securityContext": {"runAsUser": 0, "allowPrivilegeEscalation": False},
        "volumeMounts": mounts,
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}},
    }


def shared_mount() -> dict[str, Any]:
    """Every user's read-only view of the shared folder."""
    return {"name": HOME_VOLUME, "mountPath": SHARED_MOUNT, "subPath": SHARED_DIR, "readOnly": True}


def shared_admin_hook() -> str:
    """hub.extraConfig: admins also get the shared folder read-write, added to the notebook
    container of the pod KubeSpawner built (KubeSpawner names it `notebook`)."""
    mount = {"name": HOME_VOLUME, "mount_path": SHARED_WRITE_MOUNT, "sub_path": SHARED_DIR}
    return f"""\
# hubfleet: the hub's admins also mount the shared folder read-write at ~/shared-readwrite.
from kubernetes_asyncio.client.models import V1VolumeMount

HUBFLEET_SHARED_READWRITE = {mount!r}


def hubfleet_shared_readwrite(spawner, pod):
    if spawner.user.admin:
        for container in pod.spec.containers:
            if container.name == "notebook":
                mount = V1VolumeMount(**HUBFLEET_SHARED_READWRITE)
                container.volume_mounts = [*(container.volume_mounts or []), mount]
    return pod


c.KubeSpawner.modify_pod_hook = hubfleet_shared_readwrite
"""
