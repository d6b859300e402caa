"""The render command's pipeline: inputs -> model -> files -> plan -> write (or check)."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError
from .inputs import load_clusters
from .model import Cluster
from .names import owned_paths
from .project import Project
from .render.common import OutputFile
from .render.tree import render_cluster_tree
from .write import Plan, apply_plan, plan_render

#: What `render --all` owns: every generated file under these folders of gitops/.
ALL_SCOPES = ("clusters/", "infrastructure/", "hubs/", "eksctl/")


def render_files(clusters: list[Cluster]) -> list[OutputFile]:
    return [file for cluster in clusters for file in render_cluster_tree(cluster)]


def select_clusters(project: Project, names: tuple[str, ...], all_clusters: bool) -> list[str]:
    if all_clusters and names:
        raise InputError("give cluster names or --all, not both")
    if all_clusters:
        found = project.cluster_names()
        if not found:
            raise InputError(f"{project.relative(project.clusters_dir)}: no cluster.yaml found")
        return found
    if not names:
        raise InputError("name at least one cluster, or use --all")
    return list(dict.fromkeys(names))


def plan_project(project: Project, names: list[str], all_clusters: bool, out: Path | None) -> Plan:
    """Everything a render would change. With --all, output of deleted clusters is stale too."""
    clusters = load_clusters(project, names)
    scopes = ALL_SCOPES if all_clusters else tuple(p for n in names for p in owned_paths(n))
    return plan_render(out or project.gitops_dir, render_files(clusters), scopes)


def render_project(project: Project, names: list[str], all_clusters: bool, out: Path | None) -> Plan:
    plan = plan_project(project, names, all_clusters, out)
    apply_plan(plan)
    return plan
