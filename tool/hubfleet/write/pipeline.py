"""Stages 1-5 joined, the render pipeline: inputs -> model -> files -> plan -> write (or check).

`render`, `render --check`, validate's freshness layer and `aws scale` all go
through `plan_project`, so they agree on what the tree should hold.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

from ruamel.yaml.error import YAMLError

from ..core.capacity import DRIVE_SIZE, size_gib
from ..core.layout import DRIVE_FILE, HUBS, JUPYTERHUB_FILE, STATE_DIR, Layout
from ..core.names import MONITORING_NAMESPACE, NGINX_NAMESPACE
from ..core.package_data import shipped_charts
from ..core.risks import guard
from ..errors import Diagnostic, InputError, LocalError, UsageError
from ..inputs.load import load_file
from ..inputs.model.cluster import Cluster
from ..inputs.pipeline import Scope, load_project
from ..planning.risks import flag
from ..render.charts import render_shipped_charts
from ..render.common import OutputFile
from ..render.tree import render_cluster_tree
from ..system.lock import check_tree_location, holding
from ..system.project import Project
from ..system.yaml_reader import load_one
from ..upstream.dashboards import upstream_dashboards
from .fingerprint import Record, inputs_digest, tool_key
from .journal import pending, recover
from .tree import Plan, apply_plan, list_scopes, plan_render, tree_clusters


def render_files(clusters: list[Cluster], layout: Layout) -> list[OutputFile]:
    """Every file of the clusters' trees, and the charts hubfleet ships (whatever the clusters)."""
    # Compiled (or read from the cache) only when some cluster has monitoring.
    dashboards = upstream_dashboards() if any(c.monitoring is not None for c in clusters) else ()
    files = [file for cluster in clusters for file in render_cluster_tree(cluster, layout, dashboards)]
    return files + render_shipped_charts(shipped_charts(), layout)


def plan_project(
    project: Project, scope: Scope, out: Path | None = None, clusters: list[Cluster] | None = None
) -> Plan:
    """Everything a render would change; `clusters` when the caller loaded them already. With
    every cluster in scope, output of deleted clusters is stale too."""
    if out is not None:
        check_output_folder(project, out)
    settle(project, out or project.gitops_dir)
    loaded = load_project(project, scope) if clusters is None else clusters
    layout = Layout.for_output(project.root, out)
    if scope.everything:
        scopes = layout.all_scopes()
    else:
        scopes = tuple(path for cluster in loaded for path in layout.owned_scopes(cluster.name))
        scopes += (layout.charts_scope(),)
    target = out or project.gitops_dir
    plan = plan_render(target, project.relative(target), render_files(loaded, layout), scopes)
    refuse_shrinking(project, plan, loaded, layout)
    refuse_orphans(project, plan, loaded, layout)
    return plan


def plan_shared(project: Project) -> Plan:
    """What a render would change in the part of gitops/ no existing cluster owns: the charts
    hubfleet ships, and the output of clusters whose inputs are gone (all of it removed). Loads
    no cluster's inputs (`validate --fleet`)."""
    tree = project.gitops_dir
    settle(project, tree)
    layout = Layout()
    gone = sorted((tree_clusters(tree, layout) or set()) - set(project.cluster_names()))
    scopes = (layout.charts_scope(), *(scope for name in gone for scope in layout.owned_scopes(name)))
    files = render_shipped_charts(shipped_charts(), layout)
    return plan_render(tree, project.relative(tree), files, scopes)


def check_output_folder(project: Project, out: Path) -> None:
    """`--out` names a folder of its own: never the project root (the tree would mix with the
    inputs) and never inside clusters/ (the tree would be read as inputs)."""
    target, root = out.resolve(), project.root.resolve()
    if target == root or target.is_relative_to(project.clusters_dir.resolve()):
        where = "the project root" if target == root else "inside clusters/"
        raise UsageError(f"--out {out}", f"is {where}; name a folder of its own, e.g. --out build/gitops")
    if target.exists() and not target.is_dir():
        raise UsageError(f"--out {out}", "is not a folder")


#: Seconds `git ls-files` may take (one folder of one index).
GIT_TIMEOUT = 20


def refuse_committed_state(project: Project, tree: Path) -> None:
    """hubfleet's state (lock, journal, fingerprints) belongs to one checkout: a copy committed to
    git, e.g. by a hostile branch, is refused before anything in it is read or replayed."""
    state = tree / STATE_DIR
    if not os.path.lexists(state) or shutil.which("git") is None:
        return
    try:
        done = subprocess.run(
            ["git", "-C", str(tree), "ls-files", "-z", "--", STATE_DIR],
            capture_output=True, timeout=GIT_TIMEOUT, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return  # no git repository to carry it: nothing was committed
    if done.returncode == 0 and done.stdout.strip(b"\0"):
        where = project.relative(state)
        raise LocalError(
            where,
            "is committed to git, but hubfleet's lock, journal and fingerprints belong to one checkout and "
            f"are never read from a commit (a committed journal could move files); remove it with "
            f"`git rm -r --cached {where}` and delete the folder; nothing was read or written",
        )


def settle(project: Project, tree: Path) -> None:
    """Finish or undo a commit that a killed render left behind (journal.py), before anything
    reads the tree. Costs one stat when there is nothing to do, and needs no lock then. The
    tree's place and state are checked first (check_tree_location, refuse_committed_state)."""
    check_tree_location(project, tree)
    refuse_committed_state(project, tree)
    if not pending(tree):
        return
    with holding(tree, project.relative(tree), project.shown):
        try:
            recover(tree)
        except (OSError, ValueError) as error:
            where = project.relative(tree / STATE_DIR)
            raise LocalError(
                where,
                f"an interrupted render could not be settled ({error}); fix that and run the command "
                f"again, or restore the tree with `git checkout -- {project.relative(tree)}` and remove {where}/",
            ) from None


def render_project(project: Project, scope: Scope, out: Path | None = None) -> Plan:
    """Plan and commit under the writer's lock, so a second render waits for this one.

    Clusters whose fingerprint matches (fingerprint.py) are skipped: their files count as
    unchanged. Inputs are loaded before the lock is taken, so an input error stops before
    the lock's folder is made.
    """
    tree = out or project.gitops_dir
    if out is not None:
        check_output_folder(project, out)
    settle(project, tree)
    layout = Layout.for_output(project.root, out)
    record = Record.read(tree, tool_key(layout))
    digests = {name: inputs_digest(project.cluster_dir(name)) for name in scope.names}
    skipped = _fresh_clusters(tree, layout, scope, record, digests)
    todo = Scope(tuple(name for name in scope.names if name not in skipped), scope.everything and not skipped)
    clusters = load_project(project, todo) if todo.names else []
    with holding(tree, project.relative(tree), project.shown):
        plan = plan_project(project, todo, out, clusters)
        plan.unchanged += sum(record.files(name) for name in skipped)
        plan.warnings += login_changes(plan)
        apply_plan(plan, project.shown)
        rendered = {
            name: (digests[name], list_scopes(tree, layout.owned_scopes(name))) for name in todo.names
        }
        record.update(
            rendered, project.cluster_names() if scope.everything else [*record.clusters, *rendered]
        )
        with contextlib.suppress(OSError):  # without a record, the next render is simply a full one
            record.write(tree)
    return plan


def _release_value(text: bytes, *path: str) -> str | None:
    """A string at `spec.values.<path>` of a rendered HelmRelease, if it can be read."""
    try:
        document = load_one(text.decode("utf-8", "replace"))
    except (YAMLError, ValueError):
        return None
    for key in ("spec", "values", *path):
        document = document.get(key) if isinstance(document, dict) else None
    return document if isinstance(document, str) else None


#: Names a hubfleet release once rendered for the same authenticator it renders now.
AUTHENTICATOR_ALIASES = {"nativeauthenticator.NativeAuthenticator": "native"}


def _authenticator(text: bytes) -> str | None:
    """The authenticator a rendered JupyterHub HelmRelease asks for."""
    found = _release_value(text, "hub", "config", "JupyterHub", "authenticator_class")
    return AUTHENTICATOR_ALIASES.get(found, found) if found else None


def refuse_shrinking(project: Project, plan: Plan, clusters: list[Cluster], layout: Layout) -> None:
    """InputError at `drive.size` of every hub whose drive would get smaller than it is: EBS volumes
    only grow, and Kubernetes refuses a smaller request, so the HelmRelease would fail forever."""
    problems = []
    for cluster in clusters:
        for hub in cluster.hubs:
            path = f"{layout.hub_dir(cluster.name, hub.name)}/{DRIVE_FILE}"
            if path not in plan.changed:
                continue
            try:
                old = _release_value((plan.out / path).read_bytes(), "size")
            except OSError:
                continue
            if old and DRIVE_SIZE.fullmatch(old) and size_gib(hub.drive_size) < size_gib(old):
                source = load_file(project.root / hub.source_file, hub.source_file, project.root)
                problems.append(
                    source.problem(
                        ["drive", "size"],
                        guard("drive-shrunk", "render", new=hub.drive_size, old=old, path=plan.shown(path)),
                    )
                )
    if problems:
        raise InputError(problems)


def refuse_orphans(project: Project, plan: Plan, clusters: list[Cluster], layout: Layout) -> None:
    """InputError for what the render would orphan: a hub whose file is gone while its tree still
    runs a JupyterHub (its drive, the blocking flag plan raises for it), and a secret left sealed
    for a namespace nothing makes any more."""
    problems = [problem for cluster in clusters for problem in homeless_secrets(project, cluster)]
    problems += vanished_hubs(project, plan, clusters, layout)
    if problems:
        raise InputError(problems)


def vanished_hubs(project: Project, plan: Plan, clusters: list[Cluster], layout: Layout) -> list[Diagnostic]:
    """A problem at each hub file that is gone while the render would remove its JupyterHub."""
    known = {cluster.name: {hub.name for hub in cluster.hubs} for cluster in clusters}
    problems = []
    for path in plan.removed:
        owner = layout.owner(path)
        if owner is None or owner.cluster not in known or not path.endswith(f"/{JUPYTERHUB_FILE}"):
            continue
        hub = owner.component.removeprefix(f"{HUBS}/")
        if hub == owner.component or hub in known[owner.cluster]:
            continue
        file = project.relative(project.hub_file(owner.cluster, hub))
        reason = flag("hub-removed", owner.cluster, hub, file, hub=hub).message
        problems.append(Diagnostic(file, 0, 0, "", reason))
    return problems


def homeless_secrets(project: Project, cluster: Cluster) -> list[Diagnostic]:
    """A secret sealed for a namespace nothing of the cluster makes (the login of a hub whose file
    is gone, Grafana's with monitoring off): applied with the infrastructure, it would fail for
    want of its namespace and hold up the ingress layer behind it."""
    homes = {hub.name for hub in cluster.hubs} | {NGINX_NAMESPACE}
    if cluster.monitoring is not None:
        homes.add(MONITORING_NAMESPACE)
    problems = []
    for sealed in cluster.sealed_secrets:
        if sealed.namespace not in homes:
            source = load_file(project.root / sealed.source_file, sealed.source_file, project.root)
            problems.append(
                source.problem(
                    ["metadata", "namespace"],
                    f"sealed for namespace {sealed.namespace}, which nothing of {cluster.name} makes (its hubs, "
                    f"{MONITORING_NAMESPACE} when monitoring is on, {NGINX_NAMESPACE}); a removed hub's secret: "
                    "delete the file",
                )
            )
    return problems


def login_changes(plan: Plan) -> list[str]:
    """A warning for each hub whose login changes: the new provider names users differently, so
    they get new, empty homes (the old ones stay on the drive under the old names)."""
    warnings = []
    for path in sorted(p for p in plan.changed if p.endswith(f"/{JUPYTERHUB_FILE}")):
        try:
            old = _authenticator((plan.out / path).read_bytes())
        except OSError:
            continue
        new = _authenticator(plan.changed[path])
        if old and new and old != new:
            warnings.append(guard("login-changed", "render", path=plan.shown(path), old=old, new=new))
    return warnings


def _fresh_clusters(
    tree: Path, layout: Layout, scope: Scope, record: Record, digests: dict[str, str]
) -> set[str]:
    """The clusters of `scope` that need no render. With --all, none when the tree holds output
    no current cluster owns (a deleted cluster's files must be removed)."""
    if scope.everything:
        present = tree_clusters(tree, layout)
        if present is None or not present <= set(scope.names):
            return set()
    return {
        name
        for name in scope.names
        if record.fresh(name, digests[name], list_scopes(tree, layout.owned_scopes(name)))
    }
