"""The render pipeline: inputs -> model -> files -> plan -> write (or check).

`render`, `render --check`, validate's freshness layer and `aws scale` all go
through `plan_project`, so they agree on what the tree should hold.
"""

from __future__ import annotations

from pathlib import Path

from .core.layout import Layout
from .errors import UsageError
from .inputs import Scope, load_project
from .model import Cluster
from .project import Project
from .render.common import OutputFile
from .render.tree import render_cluster_tree
from .write import Plan, apply_plan, plan_render


def render_files(clusters: list[Cluster], layout: Layout) -> list[OutputFile]:
    return [file for cluster in clusters for file in render_cluster_tree(cluster, layout)]


def plan_project(
    project: Project, scope: Scope, out: Path | None = None, clusters: list[Cluster] | None = None
) -> Plan:
    """Everything a render would change; `clusters` when the caller loaded them already. With
    every cluster in scope, output of deleted clusters is stale too."""
    if out is not None:
        check_output_folder(project, out)
    loaded = load_project(project, scope) if clusters is None else clusters
    layout = Layout.for_output(project.root, out)
    if scope.everything:
        scopes = layout.all_scopes()
    else:
        scopes = tuple(path for cluster in loaded for path in layout.owned_scopes(cluster.name))
    target = out or project.gitops_dir
    return plan_render(target, project.relative(target), render_files(loaded, layout), scopes)


def check_output_folder(project: Project, out: Path) -> None:
    """`--out` names a folder of its own: never the project root (the tree would mix with the
    inputs) and never inside clusters/ (the tree would be read as inputs)."""
    target, root = out.resolve(), project.root.resolve()
    if target == root or target.is_relative_to(project.clusters_dir.resolve()):
        where = "the project root" if target == root else "inside clusters/"
        raise UsageError(f"--out {out}", f"is {where}; name a folder of its own, e.g. --out build/gitops")
    if target.exists() and not target.is_dir():
        raise UsageError(f"--out {out}", "is not a folder")


def render_project(project: Project, scope: Scope, out: Path | None = None) -> Plan:
    plan = plan_project(project, scope, out)
    apply_plan(plan)
    return plan
