"""System layer: where things live in a hubfleet project. The root is found once and passed around as a value."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..core.layout import (
    CHARTS_LOCK,
    CLUSTER_FILE,
    GITOPS,
    HUB_FOLDER,
    IMAGES_LOCK,
    INPUT_SUFFIX,
    INPUTS,
    RESTORES_FOLDER,
    SECRETS_FOLDER,
)
from ..errors import InputError, LocalError, UsageError
from .files import Refused, list_folder

#: The lock file of upstream chart packages, at the project root.


@dataclass(frozen=True)
class Project:
    """A hubfleet project: `clusters/` holds inputs, `gitops/` the rendered tree."""

    root: Path

    @property
    def clusters_dir(self) -> Path:
        return self.root / INPUTS

    @property
    def gitops_dir(self) -> Path:
        return self.root / GITOPS

    def cluster_dir(self, cluster: str) -> Path:
        return self.clusters_dir / cluster

    def cluster_file(self, cluster: str) -> Path:
        return self.cluster_dir(cluster) / CLUSTER_FILE

    def hubs_dir(self, cluster: str) -> Path:
        return self.cluster_dir(cluster) / HUB_FOLDER

    def hub_file(self, cluster: str, hub: str) -> Path:
        return self.hubs_dir(cluster) / f"{hub}{INPUT_SUFFIX}"

    def secrets_dir(self, cluster: str) -> Path:
        return self.cluster_dir(cluster) / SECRETS_FOLDER

    def restores_dir(self, cluster: str) -> Path:
        """Restores in progress (`hubfleet aws backups restore`), one file each."""
        return self.cluster_dir(cluster) / RESTORES_FOLDER

    def sealing_cert(self, cluster: str) -> Path:
        return self.cluster_dir(cluster) / "sealed-secrets.pem"

    def relative(self, path: Path) -> str:
        """The path as a person in the project root would type it (a symlink named, not followed)."""
        absolute, root = Path(os.path.abspath(path)), Path(os.path.abspath(self.root))
        if absolute.is_relative_to(root):
            return absolute.relative_to(root).as_posix()
        try:
            resolved, root = path.resolve(), self.root.resolve()
        except (OSError, RuntimeError):  # a symlink loop resolves nowhere
            return str(path)
        return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(path)

    @property
    def charts_lock(self) -> Path:
        """The committed digests of the upstream chart packages (upstream/cache.py)."""
        return self.root / CHARTS_LOCK

    @property
    def images_lock(self) -> Path:
        """The committed digests of every image the fleet runs (upstream/image_lock.py)."""
        return self.root / IMAGES_LOCK

    def shown(self, path: str) -> str:
        """`relative` for a path as the OS reports it (in an OSError, say)."""
        return self.relative(Path(path))

    def cluster_names(self) -> list[str]:
        """Every folder under clusters/ that holds a cluster.yaml, sorted. A folder that cannot be
        read is an InputError, never "no cluster there" (`render --all` would remove its tree)."""
        names = []
        try:
            for folder in list_folder(self.clusters_dir):
                try:
                    os.stat(folder / "cluster.yaml")
                except (FileNotFoundError, NotADirectoryError):
                    continue
                except OSError as error:
                    raise Refused(f"cannot read {folder.name}/cluster.yaml: {error.strerror}") from None
                names.append(folder.name)
        except Refused as refused:
            raise InputError.at(
                self.relative(self.clusters_dir), f"{refused.reason}; nothing was written"
            ) from None
        return names


def _holds_inputs(folder: Path) -> bool:
    return any((folder / "clusters").glob("*/cluster.yaml"))


def find_project(start: Path, explicit: Path | None = None) -> Project:
    """Like git: the nearest folder upward from `start` whose clusters/ holds a cluster.yaml (so a
    rendered gitops/clusters/ is never mistaken for the inputs), else the nearest with a clusters/
    folder at all (a new project), or `explicit`."""
    if explicit is not None:
        if not (explicit / "clusters").is_dir():
            raise UsageError(f"--root {explicit}", "not a hubfleet project (no clusters/ folder)")
        return Project(explicit.resolve())
    here = start.resolve()
    candidates = [folder for folder in (here, *here.parents) if (folder / "clusters").is_dir()]
    chosen = next((folder for folder in candidates if _holds_inputs(folder)), None)
    if chosen is None and candidates:
        chosen = candidates[0]
    if chosen is None:
        raise LocalError(
            str(start), "not inside a hubfleet project (no clusters/ folder here or above); use --root"
        )
    return Project(chosen)
