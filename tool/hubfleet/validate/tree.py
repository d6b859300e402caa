"""The rendered tree as validation sees it: every YAML file in scope, read once, by cluster.

Scope is what the named clusters own (or all of gitops/ when no cluster is
named), leaving out the folders flux bootstrap writes (flux-system/).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..core.layout import BOOTSTRAP_DIR, Layout
from ..inputs.model.cluster import Cluster
from ..system.files import Refused, read_regular
from ..system.project import Project
from .manifests import Manifest, Stream, parse_stream

#: Text and display path to the objects of a stream.
Parser = Callable[[str, str], Stream]

Role = Literal["objects", "eksctl", "kustomize"]
MAX_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class TreeFile:
    path: str
    cluster: str | None
    role: Role
    stream: Stream


@dataclass
class Tree:
    """Files of the gitops/ tree in scope, and the validated models of their clusters."""

    root: Path
    clusters: dict[str, Cluster]
    files: list[TreeFile] = field(default_factory=list)

    def objects(self, cluster: str | None = None) -> Iterator[Manifest]:
        """Kubernetes objects Flux applies (not kustomize or eksctl files), of one cluster or all."""
        for file in self.files:
            if file.role == "objects" and (cluster is None or file.cluster == cluster):
                yield from file.stream.manifests

    def cluster_of(self, manifest: Manifest) -> str | None:
        return cluster_of(manifest.path)

    def eksctl_config(self, cluster: str) -> Manifest | None:
        for file in self.files:
            if file.role == "eksctl" and file.cluster == cluster and file.stream.manifests:
                return file.stream.manifests[0]
        return None


LAYOUT = Layout()


def _in_tree(path: str) -> str | None:
    """A project-relative path (`gitops/hubs/...`) relative to the tree, or None if outside it."""
    prefix = f"{LAYOUT.repo_prefix}/"
    return path[len(prefix) :] if path.startswith(prefix) else None


def cluster_of(path: str) -> str | None:
    """The cluster a file under gitops/ belongs to, as the shared Layout reads the path."""
    inside = _in_tree(path)
    owner = LAYOUT.owner(inside) if inside is not None else None
    return owner.cluster if owner else None


def role_of(path: str) -> Role:
    inside = _in_tree(path) or path
    if LAYOUT.is_eksctl(inside):
        return "eksctl"
    return "kustomize" if Layout.is_kustomize_file(inside) else "objects"


def _yaml_files(folder: Path, skip: Path | None = None) -> Iterator[Path]:
    """YAML files under `folder`, but none under `skip` (the shipped charts: helm checks those)."""
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if d != BOOTSTRAP_DIR and not d.startswith(".") and here / d != skip
        )
        for name in sorted(filenames):
            if name.endswith((".yaml", ".yml")) or name == "Kustomization":
                yield Path(dirpath) / name


def files_in_scope(project: Project, names: list[str], everything: bool) -> list[Path]:
    gitops = project.gitops_dir
    if everything:
        return list(_yaml_files(gitops, gitops / LAYOUT.charts_scope())) if gitops.is_dir() else []
    found: list[Path] = []
    for name in names:
        for owned in LAYOUT.owned_scopes(name):
            target = gitops / owned
            if owned.endswith("/"):
                found += _yaml_files(target) if target.is_dir() else []
            elif target.is_file():
                found.append(target)
    return sorted(set(found))


def read_file(path: Path, display: str, root: Path, parse: Parser = parse_stream) -> Stream:
    try:
        text = read_regular(path, MAX_FILE_BYTES, root).decode("utf-8")
    except UnicodeDecodeError:
        return Stream((), ((0, "file is not UTF-8 text"),))
    except Refused as refused:
        return Stream((), ((0, refused.reason),))
    return parse(text, display)


def display_path(project: Project, path: Path) -> str:
    """The path relative to the project root; cheap for paths found by walking the root."""
    if path.is_relative_to(project.root):
        return path.relative_to(project.root).as_posix()
    return project.relative(path)


def read_tree(
    project: Project, clusters: list[Cluster], everything: bool, parse: Parser = parse_stream
) -> Tree:
    """Every file in scope, parsed (`parse`: a caching parser, see expansions.py)."""
    tree = Tree(project.root, {cluster.name: cluster for cluster in clusters})
    for path in files_in_scope(project, list(tree.clusters), everything):
        display = display_path(project, path)
        stream = read_file(path, display, project.root, parse)
        tree.files.append(TreeFile(display, cluster_of(display), role_of(display), stream))
    return tree
