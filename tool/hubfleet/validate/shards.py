"""Splitting a pull request's validation: one job per cluster it touches, one fleet-wide job.

A fleet of 30 clusters validated as one job takes as long as the whole fleet, whatever the
change. `hubfleet validate --shards --base REF` names the clusters a change touches (their
inputs or their part of gitops/), and every cluster when it touches anything else but prose
(the chart lock, the charts hubfleet ships, the workflows that pin hubfleet's version, and in
hubfleet's own repository its code); the workflow runs `hubfleet validate CLUSTER` for each,
in parallel, and `hubfleet validate --fleet` once for what no cluster's job checks
(validate/fleet.py).
"""

from __future__ import annotations

import json

from ..core.layout import CLUSTERS, GITOPS, Layout
from ..planning.revisions import commit_of, git, merge_base, toplevel
from ..system.project import Project

#: Changed files that concern no cluster's output: prose.
PROSE = (".md",)


def changed_paths(project: Project, base: str) -> set[str]:
    """Paths (from the project folder) that differ between where HEAD left `base` and the work
    tree, committed or not."""
    root = project.root
    since = merge_base(root, commit_of(root, base, "--base"), "HEAD", "--base")
    _, prefix = toplevel(root)
    # Both sides of a rename: a file moved from one cluster to another touches both.
    listed = git(root, "diff", "-z", "--name-only", "--no-renames", "--relative", since, what="--base")
    untracked = git(root, "ls-files", "-z", "--others", "--exclude-standard", what="git")
    found = {p for p in (listed + b"\0" + untracked).decode(errors="surrogateescape").split("\0") if p}
    return {p.removeprefix(prefix) for p in found}


def shard_clusters(project: Project, base: str | None) -> list[str]:
    """The clusters a change needs validated (every cluster without `base`)."""
    names = project.cluster_names()
    if base is None:
        return names
    layout = Layout()
    inputs = project.relative(project.clusters_dir)
    touched = set()
    for path in changed_paths(project, base):
        parts = path.split("/")
        owner = layout.owner("/".join(parts[1:])) if parts[0] == GITOPS else None
        if len(parts) >= 3 and parts[0] == inputs:
            touched.add(parts[1])
        elif owner is not None:
            touched.add(owner.cluster)
        elif parts[0] == GITOPS and len(parts) >= 4 and parts[1] == CLUSTERS:
            touched.add(parts[2])  # flux bootstrap's own files in the cluster's entry folder
        elif not path.endswith(PROSE):
            return names  # charts.lock, gitops/charts/, a workflow, hubfleet's own code: every cluster
    return [name for name in names if name in touched]


def shards_json(names: list[str]) -> str:
    """The matrix a GitHub Actions job reads with fromJSON: `{"cluster": [...]}`."""
    return json.dumps({"cluster": names})
