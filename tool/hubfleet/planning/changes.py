"""`hubfleet plan`: what a change does to each cluster, from two git revisions (an edge: git, files).

The base side is what Flux applies today: the base revision's committed tree (or, where it has
none, its inputs rendered). The head side is what Flux will apply: the head's inputs rendered by
this hubfleet, in memory. Only files that differ are parsed, so an unchanged fleet costs a render
and a comparison of bytes. Risk flags come from both sides' input models and the object changes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from ..core.charts import chart_spec
from ..core.layout import CHARTS_LOCK, GITOPS, INPUTS, Layout, input_cluster, input_hub, input_prefix
from ..errors import HubfleetError
from ..inputs.model.cluster import Cluster
from ..inputs.pipeline import Scope, load_project
from ..system.programs import find_tool
from ..system.project import Project
from ..system.yaml_reader import load_one
from ..upstream.cache import ChartSource
from ..write.pipeline import render_files, settle
from ..write.tree import serialise
from .expansion import OWN_CHART_PREFIX, Expander, Side, expanded_changes
from .model import ChangePlan, ClusterChanges
from .objects import ObjectChange, ObjectKey, by_cluster, object_changes
from .revisions import WORKTREE, commit_of, merge_base, read_revision, toplevel, write_files
from .risks import Risk, cluster_risks, flag, object_risks, own_chart_risks, sort_risks


def _chart_versions(files: dict[str, bytes]) -> dict[str, str]:
    """charts/<name>/Chart.yaml of a tree -> its version."""
    found = {}
    for path, text in files.items():
        parts = path.split("/")
        if len(parts) != 3 or parts[0] != "charts" or parts[2] != "Chart.yaml":
            continue
        try:
            data = load_one(text)
        except (YAMLError, ValueError):
            continue
        if isinstance(data, dict) and data.get("version") is not None:
            found[parts[1]] = str(data["version"])
    return found


def _work_tree(root: Path, names: Sequence[str]) -> dict[str, bytes]:
    """The work tree's inputs of `names`, by path from the project."""
    found = {}
    folders = [Project(root).cluster_dir(name) for name in names]
    for path in [p for folder in folders for p in sorted(folder.rglob("*"))]:
        if path.is_file():
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def _chart_names(files: dict[str, bytes]) -> set[str]:
    return {p.split("/")[1] for p in files if p.startswith("charts/") and p.count("/") >= 2}


def _chart_files(files: dict[str, bytes], chart: str) -> dict[str, bytes]:
    return {path: text for path, text in files.items() if path.startswith(f"charts/{chart}/")}


def _inputs_of(files: dict[str, bytes], name: str) -> dict[str, bytes]:
    return {path: text for path, text in files.items() if path.startswith(input_prefix(name))}


def _chart_path(document: dict[str, Any]) -> str:
    return str(chart_spec(document.get("spec")).get("chart", ""))


def _upgrades(
    changes: list[ObjectChange], moved: dict[str, tuple[str, str]], releases: dict[str, int]
) -> list[str]:
    lines = []
    for change in changes:
        if change.key.kind != "HelmRelease" or change.change == "removed":
            continue
        where = f"{change.key.namespace}/{change.key.name}"
        if change.change == "added":
            lines.append(f"{where}: installed")
            continue
        version = next((f for f in change.fields if f.path == "spec.chart.spec.version"), None)
        if version is not None:
            lines.append(f"{where}: chart {version.old} -> {version.new}")
        elif any(f.path.startswith("spec.values") for f in change.fields):
            lines.append(f"{where}: new values")
        else:
            lines.append(f"{where}: its HelmRelease changes")
    for chart, (old, new) in sorted(moved.items()):
        count = releases.get(chart, 0)
        if count:
            lines.append(f"{count} release{'s' if count != 1 else ''} of charts/{chart}: {old} -> {new}")
    return lines


def _hubs(layout: Layout, paths: list[str]) -> list[str]:
    hubs = set()
    for path in paths:
        owner = layout.owner(path)
        if owner is not None and owner.component.startswith("hubs/"):
            hubs.add(owner.component.removeprefix("hubs/"))
    return sorted(hubs)


def _load_base(
    files: dict[str, bytes], folder: Path, names: Sequence[str], notes: list[str]
) -> tuple[dict[str, Cluster], list[str]]:
    """The base's models of `names` (written out of `files` first), a cluster at a time, and the
    names this hubfleet cannot load (a note says why)."""
    project = Project(folder)
    write_files(files, folder, tuple(input_prefix(name) for name in names))
    loaded: dict[str, Cluster] = {}
    failed = []
    for name in names:
        if not project.cluster_file(name).is_file():
            continue
        try:
            (loaded[name],) = load_project(project, Scope((name,), False))
        except HubfleetError as error:
            first = error.format_message().splitlines()[0]
            notes.append(f"the base's inputs of {name} do not load with this hubfleet ({first}); its flags "
                         "from inputs come from the files alone")  # fmt: skip
            failed.append(name)
    return loaded, failed


def _raw_removed_hubs(base: dict[str, bytes], head: dict[str, bytes], name: str) -> list[Risk]:
    """The data-loss guard without a base model: hub files the head no longer has, active unless
    the file says `state: retired`."""
    found = []
    for path, text in sorted(_inputs_of(base, name).items()):
        hub = input_hub(path)
        if hub is None or path in head:
            continue
        try:
            data = load_one(text)
        except (YAMLError, ValueError):
            data = None
        state = data.get("state", "active") if isinstance(data, dict) else "active"
        flag_id = "retired-hub-removed" if state == "retired" else "hub-removed"
        found.append(flag(flag_id, name, hub, path, hub=hub))
    return found


def _own_chart_releases(
    documents: list[tuple[str, dict[str, Any]]], charts: set[str], known: set[ObjectKey], layout: Layout
) -> list[ObjectChange]:
    """Unchanged HelmReleases of our charts whose templates changed: expanded on both sides too."""
    found = []
    for path, document in documents:
        owner = layout.owner(path)
        path_of_chart = _chart_path(document)
        chart = path_of_chart.removeprefix(OWN_CHART_PREFIX)
        if (
            owner is None
            or document.get("kind") != "HelmRelease"
            or path_of_chart == chart
            or chart not in charts
        ):
            continue
        metadata = document.get("metadata") or {}
        namespace, name = str(metadata.get("namespace", "")), str(metadata.get("name"))
        key = ObjectKey(owner.cluster, "HelmRelease", namespace, name)
        if key not in known:
            found.append(ObjectChange(key, "changed", path, document, document))
    return found


def _compare(
    base: dict[str, bytes], head: dict[str, bytes], layout: Layout, names: Sequence[str]
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The tree files that differ (base side, head side), among those render owns: of `names`, or
    of every cluster when none is named."""

    def owned(path: str) -> bool:
        owner = layout.owner(path)
        return owner is not None and (not names or owner.cluster in names)

    before = {p: t for p, t in base.items() if owned(p) and head.get(p) != t}
    after = {p: t for p, t in head.items() if owned(p) and base.get(p) != t}
    return before, after


def _expanded(
    root: Path, scratch: Path, base: Side, head: Side, released: list[ObjectChange], notes: list[str]
) -> list[ObjectChange]:
    helm = find_tool("helm", root)
    if helm is None:
        notes.append("helm is not installed (`make tools`): the changed HelmReleases were not expanded")
        return []
    expander = Expander(helm, ChartSource.from_environment(), scratch, notes, find_tool("kubectl", root))
    return expanded_changes(expander, base, head, released)


def plan_changes(
    project: Project, base_ref: str, head_ref: str, names: Sequence[str], expand: bool = True
) -> ChangePlan:
    """The plan of `head_ref` (a revision, or WORKTREE) against where it left `base_ref`; with
    `expand`, changed HelmReleases are expanded through their charts too (expansion.py)."""
    root = project.root
    head_commit = None if head_ref == WORKTREE else commit_of(root, head_ref, "--head")
    if head_commit is None:
        settle(project, project.gitops_dir)  # a render killed half way is finished before the tree is read
    base_commit = merge_base(root, commit_of(root, base_ref, "--base"), head_commit or "HEAD", "--base")
    top, prefix = toplevel(root)
    notes: list[str] = []
    layout = Layout()
    base_files = read_revision(top, base_commit, prefix)
    with tempfile.TemporaryDirectory(prefix="hubfleet-plan-") as scratch:
        head_project = project
        if head_commit is not None:
            head_project = Project(Path(scratch, "head"))
            head_files = read_revision(top, head_commit, prefix)
            write_files(head_files, head_project.root, (f"{INPUTS}/", CHARTS_LOCK))
        scope = Scope.select(head_project, names, False, default_all=True)
        head_clusters = load_project(head_project, scope)
        head_names = [c.name for c in head_clusters]
        named = list(scope.names) if names else []
        base_names = sorted({c for c in map(input_cluster, base_files) if c is not None})
        in_scope = [n for n in base_names if not named or n in named]
        if head_commit is None:
            head_files = _work_tree(root, head_names)
        # Clusters whose inputs are the same on both sides have no input-level risk: only the
        # others are loaded on the base side.
        differ = [
            n
            for n in sorted(set(in_scope) | set(head_names))
            if _inputs_of(base_files, n) != _inputs_of(head_files, n)
        ]
        committed = any(p.startswith(f"{GITOPS}/") for p in base_files)
        base_folder = Path(scratch, "base")
        base_models, unloadable = _load_base(
            base_files, base_folder, in_scope if not committed else differ, notes
        )
        if committed:
            base_tree = {
                p.removeprefix(f"{GITOPS}/"): t for p, t in base_files.items() if p.startswith(f"{GITOPS}/")
            }
        else:
            notes.append("the base has no committed gitops/; its inputs were rendered instead")
            base_tree = {f.path: serialise(f) for f in render_files(list(base_models.values()), layout)}
        files = render_files(head_clusters, layout)
        # The charts hubfleet ships are part of the tree: a newer hubfleet's drive chart shows here.
        head_tree = {f.path: serialise(f) for f in files}
        before, after = _compare(base_tree, head_tree, layout, named)
        changes = object_changes(layout, before, after)
        first_expansion_note = len(notes)
        released = [c for c in changes if c.key.kind == "HelmRelease" and c.change == "changed"]
        retemplated = {
            chart for chart in _chart_names(base_tree) | _chart_names(head_tree)
            if _chart_files(base_tree, chart) != _chart_files(head_tree, chart)
        }  # fmt: skip
        head_documents = [(f.path, d) for f in files for d in f.documents]
        released += _own_chart_releases(head_documents, retemplated, {c.key for c in released}, layout)
        old_charts, new_charts = _chart_versions(base_tree), _chart_versions(head_tree)
        same_version = old_charts.items() & new_charts.items()
        notes += [f"charts/{chart} changed but kept version {version}: Flux upgrades none of its releases "
                  "(they reconcile on the chart's version); bump it" for chart, version in sorted(same_version)
                  if chart in retemplated]  # fmt: skip
        if expand and released:
            write_files(base_files, base_folder, ("charts.lock",))
            write_files(base_tree, base_folder / "tree", (layout.charts_scope(),))
            write_files(head_tree, Path(scratch, "head-tree"), (layout.charts_scope(),))
            versions = {c.name: c.kubernetes_version for c in head_clusters}
            base_versions = {**versions, **{n: c.kubernetes_version for n, c in base_models.items()}}
            base_side = Side(base_folder / "tree" / "charts", base_folder / "charts.lock", base_versions)
            head_side = Side(
                Path(scratch, "head-tree", "charts"), head_project.root / "charts.lock", versions
            )
            changes += _expanded(project.root, Path(scratch), base_side, head_side, released, notes)
    releases: dict[str, int] = {}
    per_cluster: dict[str, dict[str, int]] = {}
    for file in files:
        for document in file.documents:
            chart = _chart_path(document)
            if document.get("kind") == "HelmRelease" and chart.startswith(OWN_CHART_PREFIX):
                name = chart.removeprefix(OWN_CHART_PREFIX)
                releases[name] = releases.get(name, 0) + 1
                owner = layout.owner(file.path)
                if owner is not None:
                    counts = per_cluster.setdefault(owner.cluster, {})
                    counts[name] = counts.get(name, 0) + 1
    moved = {
        chart: (old_charts[chart], new_charts[chart])
        for chart in old_charts.keys() & new_charts.keys()
        if old_charts[chart] != new_charts[chart]
    }
    risks: list[Risk] = [risk for change in changes for risk in object_risks(change)]
    risks += own_chart_risks(moved, releases)
    new = {c.name: c for c in head_clusters}
    for name in differ:
        if name in unloadable:
            risks += _raw_removed_hubs(base_files, head_files, name)
        else:
            risks += cluster_risks(base_models.get(name), new.get(name), name)
    grouped = dict(by_cluster(changes))
    names_seen = sorted(grouped.keys() | {n for n, counts in per_cluster.items() if moved and counts})
    clusters = []
    for name in names_seen:
        found = grouped.get(name, [])
        paths = [c.path for c in found]
        clusters.append(
            ClusterChanges(
                name, found, _upgrades(found, moved, per_cluster.get(name, {})), _hubs(layout, paths)
            )
        )
    # Notes from helm runs arrive in the order the threads finish: sorted, so every run says the same.
    unique = list(dict.fromkeys(notes[:first_expansion_note])) + sorted(set(notes[first_expansion_note:]))
    return ChangePlan(base_commit, head_commit or WORKTREE, clusters, sort_risks(risks), unique)
