"""Load -> check -> model for a whole project: the only way later stages get a Cluster.

Every problem in every requested input (cluster file, hub files, sealed secrets)
is collected before anything fails, so a person sees them all at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import InputError, Problem
from .load import Source, load_file
from .model import Cluster, Hub, SealedSecretFile, build_cluster, build_hub, merge_settings
from .project import Project
from .rules import check_cluster_rules, check_hub_rules, drives_fit_core_nodes, guarantee_fits_user_nodes
from .schema_check import check_source

SEALED_SUFFIX = ".sealedsecret.yaml"


def check_cluster_source(source: Source, folder: str) -> list[Problem]:
    """Schema, then rules, of a parsed cluster file: what render, scaffolds and edits all require."""
    return check_source(source, "cluster", source.data) or check_cluster_rules(source, source.data, folder)


def check_hub_source(source: Source, merged: dict[str, Any], stem: str) -> list[Problem]:
    """Schema, then rules, of one hub file merged over its cluster's hubDefaults."""
    return check_source(source, "hub", merged) or check_hub_rules(source, merged, stem)


def load_cluster(project: Project, name: str) -> Cluster:
    """The validated model of clusters/<name>/, or InputError with every problem found."""
    return load_clusters(project, [name])[0]


def load_clusters(project: Project, names: list[str]) -> list[Cluster]:
    problems: list[Problem] = []
    clusters: list[Cluster] = []
    for name in names:
        try:
            clusters.append(_load_one(project, name))
        except InputError as error:
            problems.extend(error.problems or [Problem(name, 0, 0, "", error.message)])
    if problems:
        raise InputError(problems)
    return clusters


def _load_one(project: Project, name: str) -> Cluster:
    path = project.cluster_file(name)
    display = project.relative(path)
    if not path.is_file():
        known = ", ".join(project.cluster_names()) or "none"
        raise InputError([Problem(display, 0, 0, "", f"no such cluster '{name}' (clusters: {known})")])
    source = load_file(path, display)
    problems = check_cluster_source(source, name)
    if problems:
        raise InputError(problems)
    cluster = build_cluster(source.data, display)
    hubs, hub_problems = _load_hubs(project, cluster)
    sealed, sealed_problems = _load_sealed(project, name)
    problems = hub_problems + sealed_problems
    if problems:
        raise InputError(problems)
    cluster = cluster.with_inputs(tuple(hub for hub, _ in hubs), sealed)
    problems = drives_fit_core_nodes(cluster, source)
    for hub, hub_source in hubs:
        problems += guarantee_fits_user_nodes(cluster, hub, hub_source)
    if problems:
        raise InputError(problems)
    return cluster


def _load_collecting(path: Path, display: str, problems: list[Problem]) -> Source | None:
    """Load one of many files: on failure add its problems and carry on with the others."""
    try:
        return load_file(path, display)
    except InputError as error:
        problems += error.problems
        return None


def _hub_files(project: Project, cluster: str) -> list[Path]:
    folder = project.hubs_dir(cluster)
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []


def _load_hubs(project: Project, cluster: Cluster) -> tuple[list[tuple[Hub, Source]], list[Problem]]:
    hubs: list[tuple[Hub, Source]] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in _hub_files(project, cluster.name):
        display = project.relative(path)
        source = _load_collecting(path, display, problems)
        if source is None:
            continue
        merged = merge_settings(cluster.hub_defaults, source.data)
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


def _load_sealed(project: Project, cluster: str) -> tuple[tuple[SealedSecretFile, ...], list[Problem]]:
    folder = project.secrets_dir(cluster)
    sealed: list[SealedSecretFile] = []
    problems: list[Problem] = []
    for path in sorted(folder.glob(f"*{SEALED_SUFFIX}")) if folder.is_dir() else []:
        display = project.relative(path)
        source = _load_collecting(path, display, problems)
        if source is None:
            continue
        manifest = source.data
        if manifest.get("kind") != "SealedSecret" or manifest.get("apiVersion") != "bitnami.com/v1alpha1":
            problems.append(source.problem(["kind"], "expected a bitnami.com/v1alpha1 SealedSecret"))
            continue
        sealed.append(SealedSecretFile(path.name, display, manifest))
    return tuple(sealed), problems
