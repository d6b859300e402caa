"""What a user's server needs to behave on an NFS home: /dev/shm, kernel culling, SQLite kept local.

- `/dev/shm` is 64 MiB in a container; PyTorch's data loaders (and anything else passing data
  between processes through it) fail on that. With `sharedMemory`, a memory-backed emptyDir
  is mounted there, sized by the hub or the profile; what is written counts against the
  server's memory limit, so the size is a ceiling, not a reservation.
- Jupyter server's own culler shuts kernels down that have been idle a while, inside a server
  that is still in use; the hub's culler only stops whole servers.
- SQLite on NFS loses its locks and corrupts its files, and three databases of a server live
  in the home by default: IPython's history, jupyter-server-fileid's index and the real-time
  collaboration store. They are moved under /tmp, the container's own disk.

The server and IPython settings reach the server as z2jh `singleuser.extraFiles`: a Secret
mounted file by file as the JSON config files of the system folders Jupyter server and IPython
read at start (`/usr/local/etc/jupyter/`, `/usr/local/etc/ipython/`), which the Jupyter images
leave empty (docker-stacks' own file is /etc/jupyter/jupyter_server_config.py); a user's own
~/.jupyter or ~/.ipython config still wins. Not `jupyter_server_config.d/`: Jupyter server reads
only which extensions to load from there. tests/tiers/test_server_tier.py starts the real Jupyter
server and IPython kernel on these files at the pod's mount paths.
"""

from __future__ import annotations

from typing import Any

from ..inputs.model.cluster import Hub, Profile

SHM_VOLUME = "hubfleet-shm"
SHM_MOUNT = "/dev/shm"
SERVER_CONFIG_FILE = "/usr/local/etc/jupyter/jupyter_server_config.json"
IPYTHON_CONFIG_FILE = "/usr/local/etc/ipython/ipython_config.json"
#: Where the three SQLite databases go instead of the home (the container's writable layer).
LOCAL_DATABASES = {
    "history": "/tmp/ipython_history.sqlite",
    "file_ids": "/tmp/jupyter_file_ids.sqlite",
    "collaboration": "/tmp/jupyter_ystore.sqlite",
}
#: Seconds between two passes of the in-server kernel culler.
KERNEL_CULL_INTERVAL = 300
#: KubeSpawner's size units (powers of 1024) as Kubernetes quantities.
_QUANTITY_UNITS = {"K": "Ki", "M": "Mi", "G": "Gi", "T": "Ti"}


def quantity(size: str) -> str:
    """A KubeSpawner size (`14G`, powers of 1024) as the Kubernetes quantity of the same bytes."""
    return f"{size[:-1]}{_QUANTITY_UNITS[size[-1]]}"


def shm_volume(size: str) -> dict[str, Any]:
    return {"name": SHM_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": quantity(size)}}


def shm_mount() -> dict[str, Any]:
    return {"name": SHM_VOLUME, "mountPath": SHM_MOUNT}


def shm_override(profile: Profile, hub: Hub) -> dict[str, Any]:
    """A profile's KubeSpawner override for /dev/shm where it differs from the hub's. KubeSpawner
    merges a dict override into z2jh's volumes (keyed by name), and a None value removes one."""
    if profile.shared_memory == hub.shared_memory:
        return {}
    if profile.shared_memory is None:
        return {"volumes": {SHM_VOLUME: None}, "volume_mounts": {SHM_VOLUME: None}}
    return {
        "volumes": {SHM_VOLUME: shm_volume(profile.shared_memory)},
        "volume_mounts": {SHM_VOLUME: shm_mount()},
    }


def server_config(hub: Hub) -> dict[str, Any]:
    """Jupyter server's settings for every server of the hub (a JSON config file)."""
    kernels = hub.culling.kernels
    config: dict[str, Any] = {
        "MappingKernelManager": {
            "cull_idle_timeout": kernels.idle_timeout,
            "cull_interval": KERNEL_CULL_INTERVAL,
            "cull_connected": kernels.connected,
            "cull_busy": False,
        }
    }
    if hub.local_databases:
        config["BaseFileIdManager"] = {"db_path": LOCAL_DATABASES["file_ids"]}
        config["SQLiteYStore"] = {"db_path": LOCAL_DATABASES["collaboration"]}
    return config


def extra_files(hub: Hub) -> dict[str, Any]:
    """z2jh `singleuser.extraFiles`: the server's config, and IPython's when history moves."""
    files: dict[str, Any] = {
        "hubfleet-server-config": {"mountPath": SERVER_CONFIG_FILE, "data": server_config(hub)}
    }
    if hub.local_databases:
        files["hubfleet-ipython-config"] = {
            "mountPath": IPYTHON_CONFIG_FILE,
            "data": {"HistoryManager": {"hist_file": LOCAL_DATABASES["history"]}},
        }
    return files
