"""Inputs, shown: `hubfleet bootstrap CLUSTER`, the `flux bootstrap` command that points Flux at a cluster's tree.

This is what cluster.yaml's `flux.url` and `flux.branch` mean: the repository and
branch Flux reconciles from. `flux bootstrap` commits Flux's own manifests into the
cluster's entry folder (`gitops/clusters/<name>/flux-system/`, which hubfleet never
touches) and installs the controllers; from then on every push to the branch is
applied. hubfleet prints the command rather than running it: it needs cluster
credentials and a deploy key, both of which stay with the operator.
"""

from __future__ import annotations

import shlex

from ..core.layout import Layout
from ..core.names import PLACEHOLDER_GIT_URL
from ..errors import UsageError
from .model.cluster import Cluster


def bootstrap_command(cluster: Cluster, layout: Layout) -> list[str]:
    """The arguments of `flux bootstrap git` for `cluster` (the entry folder, from the repo root)."""
    return [
        "flux",
        "bootstrap",
        "git",
        f"--url={cluster.git_url}",
        f"--branch={cluster.git_branch}",
        f"--path={layout.flux_path(layout.entry_dir(cluster.name))}",
    ]


def describe_bootstrap(cluster: Cluster, layout: Layout) -> str:
    """The command as a person would paste it, with what to do before and after; never with the
    scaffold's placeholder repository, which is nobody's fleet."""
    if cluster.git_url == PLACEHOLDER_GIT_URL:
        raise UsageError(
            f"CLUSTER {cluster.name}",
            f"flux.url in {cluster.source_file} is still the placeholder {PLACEHOLDER_GIT_URL}; set it to "
            "this fleet's repository, render and push first",
        )
    # Quoted word by word: nothing in cluster.yaml can become shell syntax when pasted.
    command = " \\\n    ".join(shlex.quote(word) for word in bootstrap_command(cluster, layout))
    return (
        f"# 1. Render and push {cluster.name}'s tree to {cluster.git_branch} of {cluster.git_url}.\n"
        f"# 2. With kubectl pointed at {cluster.name} (eksctl writes the kubeconfig), run:\n"
        f"{command}\n"
        "# For an ssh:// URL add --private-key-file=PATH (a deploy key with write access), or let\n"
        "# flux create one and add the public key it prints to the repository.\n"
    )
