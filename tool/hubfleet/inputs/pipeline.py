"""Stages 1-3 joined: load -> check -> model for a whole project: the one way every command gets a Cluster.

render, validate, the aws commands and the scaffolds all come here, so none of
them can skip a rule. Every problem in every requested input (cluster file, hub
files, sealed secrets) is collected before anything fails, so a person sees them
all at once. A command that edits an input checks the file's new text, before writing it, by
the same path (`load_cluster(..., pending=(path, text))`; `inputs.edit.edit_checked`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..core.names import SEALED_SUFFIX
from ..errors import Diagnostic, InputError, UsageError
from ..system.files import OUTSIDE_LINK, Refused, leaves, list_folder
from ..system.project import Project
from .load import Source, load_file, parse_text
from .model.cluster import Cluster, Hub, Restore, SealedSecretFile, build_cluster, build_hub, merge_settings
from .rules.cluster import (
    check_cluster_rules,
    check_hub_rules,
    drives_fit_core_nodes,
    guarantee_fits_user_nodes,
    hub_name_free_as_host,
)
from .schema import check_source


@dataclass(frozen=True)
class Scope:
    """Which clusters a command works on; `everything` also means the whole gitops/ tree (so output
    of a cluster whose input was deleted is in scope too)."""

    names: tuple[str, ...]
    everything: bool

    @classmethod
    def select(
        cls, project: Project, names: Sequence[str], all_clusters: bool, *, default_all: bool = False
    ) -> Scope:
        """The clusters named (as typed, tab completion's `clusters/x/` included), or every cluster
        with `--all` (or when none is named and `default_all`)."""
        if all_clusters and names:
            raise UsageError("--all", "give cluster names or --all, not both")
        if all_clusters or (default_all and not names):
            found = project.cluster_names()
            if not found:
                raise InputError.at(project.relative(project.clusters_dir), "no cluster.yaml found")
            return cls(tuple(found), True)
        if not names:
            raise UsageError("CLUSTER", "name at least one cluster, or use --all")
        return cls(tuple(dict.fromkeys(cluster_argument(name) for name in names)), False)


def cluster_argument(text: str) -> str:
    """A cluster as a person may type it: `clusterB`, `clusterB/` or `clusters/clusterB/`."""
    parts = PurePosixPath(text.replace("\\", "/")).parts
    if len(parts) == 2 and parts[0] == "clusters":
        return parts[1]
    return parts[0] if len(parts) == 1 else text


def check_cluster_source(source: Source, folder: str, version_policy: bool = True) -> list[Diagnostic]:
    """Schema, then rules, of a parsed cluster file: what render, scaffolds and edits all require."""
    problems = check_source(source, "cluster", source.data)
    if problems:
        return problems
    return check_cluster_rules(build_cluster(source.data, source.file), source, folder, version_policy)


def check_hub_source(source: Source, merged: dict[str, Any], stem: str) -> list[Diagnostic]:
    """Schema, then rules, of one hub file merged over its cluster's hubDefaults."""
    return check_source(source, "hub", merged) or check_hub_rules(source, merged, stem)


#: An input file and the text it is about to hold: a change checked before it is written.
Pending = tuple[Path, str]


def load_cluster(
    project: Project, name: str, version_policy: bool = True, pending: Pending | None = None
) -> Cluster:
    """The validated model of clusters/<name>/, or InputError with every problem found. With
    `pending`, that file (the cluster file or a hub file, new or not) is read as if it held the
    text (a change not yet written)."""
    name = cluster_argument(name)
    path = project.cluster_file(name)
    display = project.relative(path)
    if pending is not None and pending[0] == path:
        source = pending_source(project, pending, display)
    elif not path.is_file():
        known = ", ".join(project.cluster_names()) or "none"
        raise InputError.at(display, f"no such cluster '{name}' (clusters: {known})")
    else:
        source = load_file(path, display, project.root)
    problems = check_cluster_source(source, name, version_policy)
    if problems:
        raise InputError(problems)
    cluster = build_cluster(source.data, display)
    hubs, hub_problems = _load_hubs(project, cluster, source.data.get("hubDefaults", {}), pending)
    sealed, sealed_problems = _load_sealed(project, name)
    restores, restore_problems = _load_restores(project, name, {hub.name for hub, _ in hubs})
    problems = hub_problems + sealed_problems + restore_problems
    if problems:
        raise InputError(problems)
    cluster = cluster.with_inputs(tuple(hub for hub, _ in hubs), sealed, restores)
    problems = drives_fit_core_nodes(cluster, source)
    for hub, hub_source in hubs:
        problems += guarantee_fits_user_nodes(cluster, hub, hub_source)
        problems += hub_name_free_as_host(cluster, hub, hub_source)
    if problems:
        raise InputError(problems)
    return cluster


def _load_collecting(root: Path, path: Path, display: str, problems: list[Diagnostic]) -> Source | None:
    """Load one of many files: on failure add its problems and carry on with the others."""
    try:
        return load_file(path, display, root)
    except InputError as error:
        problems += error.problems
        return None


def pending_source(project: Project, pending: Pending, display: str) -> Source:
    """The pending text of an input file, refused as `load_file` refuses the file itself when its
    path leads out of the project (a symlinked folder): it would be written there."""
    if leaves(pending[0], project.root):
        raise InputError.at(display, OUTSIDE_LINK)
    return parse_text(pending[1], display)


def _pending_collecting(
    project: Project, pending: Pending, display: str, problems: list[Diagnostic]
) -> Source | None:
    try:
        return pending_source(project, pending, display)
    except InputError as error:
        problems += error.problems
        return None


HUB_SUFFIXES = (".yaml", ".yml")


def listed(project: Project, folder: Path) -> list[Path]:
    """The entries of an input folder; an InputError at the folder when it cannot be listed (an
    unreadable folder is never an empty one: render would remove what it held)."""
    try:
        return list_folder(folder)
    except Refused as refused:
        raise InputError.at(project.relative(folder), f"{refused.reason}; nothing was written") from None


def _hub_files(project: Project, cluster: str) -> tuple[list[Path], list[Diagnostic]]:
    """The hub files of a cluster, and a problem for anything else in hubs/ (a hub file named
    otherwise, a backup, a folder) that would otherwise be ignored without a word. Names that
    start with a dot (.gitkeep, editors' swap files) are left alone."""
    files, problems = [], []
    for path in listed(project, project.hubs_dir(cluster)):
        if path.name.startswith("."):
            continue
        if path.suffix in HUB_SUFFIXES and not path.is_dir():
            files.append(path)
            continue
        kind = "a folder" if path.is_dir() else "not a hub file"
        hint = f"; rename it {path.stem}.yaml" if path.suffix.lower() in HUB_SUFFIXES else ""
        problems.append(
            Diagnostic(
                project.relative(path),
                0,
                0,
                "",
                f"{kind} in hubs/, which holds only <hub>.yaml files{hint}; move it out of hubs/",
            )
        )
    return files, problems


def load_project(project: Project, scope: Scope) -> list[Cluster]:
    """Every cluster in `scope`, validated; InputError with every problem of all of them."""
    problems: list[Diagnostic] = []
    clusters: list[Cluster] = []
    for name in scope.names:
        try:
            clusters.append(load_cluster(project, name))
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    return clusters


def _load_hubs(
    project: Project, cluster: Cluster, defaults: dict[str, Any], pending: Pending | None = None
) -> tuple[list[tuple[Hub, Source]], list[Diagnostic]]:
    hubs: list[tuple[Hub, Source]] = []
    problems: list[Diagnostic] = []
    seen: dict[str, str] = {}
    files, problems = _hub_files(project, cluster.name)
    if (
        pending is not None
        and pending[0].parent == project.hubs_dir(cluster.name)
        and pending[0] not in files
    ):
        files = sorted([*files, pending[0]])
    for path in files:
        display = project.relative(path)
        if pending is not None and path == pending[0]:
            source: Source | None = _pending_collecting(project, pending, display, problems)
        else:
            source = _load_collecting(project.root, path, display, problems)
        if source is None:
            continue
        merged = merge_settings(defaults, source.data)
        found = check_hub_source(source, merged, path.stem)
        if not found and merged["name"] in seen:
            found = [
                source.problem(["name"], f"'{merged['name']}' is already used by {seen[merged['name']]}")
            ]
        problems += found
        if not found:
            seen[merged["name"]] = display
            hubs.append((build_hub(merged, display), source))
    return hubs, problems


def _load_sealed(project: Project, cluster: str) -> tuple[tuple[SealedSecretFile, ...], list[Diagnostic]]:
    folder = project.secrets_dir(cluster)
    sealed: list[SealedSecretFile] = []
    problems: list[Diagnostic] = []
    for path in (p for p in listed(project, folder) if p.name.endswith(SEALED_SUFFIX)):
        display = project.relative(path)
        source = _load_collecting(project.root, path, display, problems)
        if source is None:
            continue
        manifest = source.data
        if manifest.get("kind") != "SealedSecret" or manifest.get("apiVersion") != "bitnami.com/v1alpha1":
            problems.append(source.problem(["kind"], "expected a bitnami.com/v1alpha1 SealedSecret"))
            continue
        template = (
            (manifest.get("spec") or {}).get("template") if isinstance(manifest.get("spec"), dict) else None
        )
        plaintext = [
            key for key in ("data", "stringData") if isinstance(template, dict) and template.get(key)
        ]
        if plaintext:
            # The controller copies these into the Secret as they are: they are plaintext in git.
            problems.append(
                source.problem(
                    ["spec", "template", plaintext[0]],
                    "plaintext values in a SealedSecret's template are committed unencrypted; "
                    "remove them and seal every value into spec.encryptedData",
                )
            )
            continue
        sealed.append(SealedSecretFile(path.name, display, manifest))
    return tuple(sealed), problems


def _load_restores(
    project: Project, cluster: str, hubs: set[str]
) -> tuple[tuple[Restore, ...], list[Diagnostic]]:
    folder = project.restores_dir(cluster)
    restores: list[Restore] = []
    problems: list[Diagnostic] = []
    for path in (p for p in listed(project, folder) if p.suffix == ".yaml"):
        display = project.relative(path)
        source = _load_collecting(project.root, path, display, problems)
        if source is None:
            continue
        found = check_source(source, "restore")
        if not found and source.data["hub"] not in hubs:
            found = [source.problem(["hub"], f"cluster {cluster} has no hub '{source.data['hub']}'")]
        problems += found
        if not found:
            data = source.data
            restores.append(
                Restore(
                    data["hub"],
                    data["stamp"],
                    data["snapshot"],
                    data["volume"],
                    data["zone"],
                    data["size"],
                    data.get("user"),
                    display,
                )
            )
    return tuple(restores), problems


def hub_of(cluster: Cluster, name: str, argument: str = "NAME") -> Hub:
    """The hub `name` of `cluster`, or UsageError at `argument` listing the hubs it has."""
    hub = next((h for h in cluster.hubs if h.name == name), None)
    if hub is None:
        known = ", ".join(h.name for h in cluster.hubs) or "none"
        raise UsageError(argument, f"cluster {cluster.name} has no hub '{name}' (hubs: {known})")
    return hub
