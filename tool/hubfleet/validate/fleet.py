"""`hubfleet validate --fleet`: the checks no cluster's own job makes, for the sharded PR job.

Each cluster a change touches is validated by its own `validate CLUSTER` job (its inputs, its
part of gitops/ fresh, its objects, charts, wiring, lint and leaks); the clusters it does not
touch are what the base branch already validated. What is left spans clusters, and is what
this job checks, without loading a single cluster's inputs:

- the tree outside every cluster's part: the charts hubfleet ships are what this hubfleet
  writes, and a cluster whose inputs are gone has no output left (rendering.plan_shared);
- no leak in a file that belongs to no cluster (loose files in clusters/, gitops/charts/);
- with `--base`, the data-loss guard over every cluster (a removed cluster or hub).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from ..system.project import Project
from ..write.pipeline import plan_shared
from .findings import Report, Tally
from .freshness import report_plan
from .guard import check_guard
from .leaks import check_leaks, scanned_files
from .tree import LAYOUT


def shared_files(project: Project) -> list[Path]:
    """Every file under clusters/ and gitops/ that no existing cluster's scoped run scans."""
    names = set(project.cluster_names())
    inputs = project.clusters_dir.relative_to(project.root).parts
    tree = project.gitops_dir.relative_to(project.root).parts
    owned_prefixes = {
        (*tree, *PurePosixPath(scope).parts) for name in names for scope in LAYOUT.owned_scopes(name)
    } | {(*inputs, name) for name in names}
    longest = max((len(prefix) for prefix in owned_prefixes), default=0)

    def owned(path: Path) -> bool:
        parts = path.relative_to(project.root).parts
        return any(parts[:depth] in owned_prefixes for depth in range(1, min(len(parts), longest) + 1))

    return [path for path in scanned_files(project, None, True) if not owned(path)]


def validate_fleet(project: Project, base: str | None) -> Report:
    tallies = []
    if base is not None:
        tallies.append(check_guard(project, base, ()))
    freshness = Tally("freshness")
    report_plan(plan_shared(project), freshness)
    tallies.append(freshness)
    lint = Tally("lint")
    check_leaks(project, shared_files(project), lint)
    tallies.append(lint)
    return Report(tuple(tallies))
