"""Shared layer: the layout of the rendered gitops/ tree, in both directions.

`Layout` builds every path of a cluster's tree (for the renderers and the writer)
and tells which cluster and component owns a path (for validation and the
writer's deletion scope). It is the only code that knows the folder names, so
the two directions cannot drift apart.

Flux reads paths relative to the root of the git repository. The tree normally
sits at `<project>/gitops`; `render --out DIR` moves it, and the Flux paths move
with it: relative to the project root when DIR is inside the project, else
relative to DIR's parent (the tree is then assumed to be copied, folder and all,
to the root of the repository Flux reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

#: The default output folder, relative to the project root.
GITOPS = "gitops"
#: The project's inputs, relative to its root: clusters/<cluster>/cluster.yaml, its hubs/<hub>.yaml,
#: secrets/ and restores/, and the chart lock beside them. `system.project.Project` builds the paths
#: of one checkout from these; the plan reads them as a git revision's paths (`input_cluster`).
INPUTS = "clusters"
CLUSTER_FILE = "cluster.yaml"
HUB_FOLDER = "hubs"
SECRETS_FOLDER = "secrets"
RESTORES_FOLDER = "restores"
CHARTS_LOCK = "charts.lock"
#: The committed digest of every image the fleet runs (upstream/image_lock.py).
IMAGES_LOCK = "images.lock"
INPUT_SUFFIX = ".yaml"


def input_prefix(cluster: str) -> str:
    """`clusters/<cluster>/`: every input path of a cluster starts with it."""
    return f"{INPUTS}/{cluster}/"


def input_cluster(path: str) -> str | None:
    """The cluster an input path belongs to (`clusters/<cluster>/...`), None for any other path."""
    parts = path.split("/")
    return parts[1] if len(parts) >= 3 and parts[0] == INPUTS else None


def input_hub(path: str) -> str | None:
    """The hub a hub file's path names (`clusters/<cluster>/hubs/<hub>.yaml`), None otherwise."""
    parts = path.split("/")
    if len(parts) == 4 and parts[0] == INPUTS and parts[2] == HUB_FOLDER and parts[3].endswith(INPUT_SUFFIX):
        return parts[3].removesuffix(INPUT_SUFFIX)
    return None


#: Folders `flux bootstrap` writes inside a cluster's entry folder; hubfleet never touches them.
BOOTSTRAP_DIR = "flux-system"
#: The writer's own folder inside an output tree: its lock, its journal and staging (so every
#: rename stays on one file system), and the render fingerprints. It holds a `.gitignore` of `*`,
#: and neither Flux (which reads gitops/clusters/<name>/) nor kustomize ever looks at it.
STATE_DIR = ".hubfleet"

CLUSTERS = "clusters"
INFRASTRUCTURE = "infrastructure"
HUBS = "hubs"
EKSCTL = "eksctl"
#: A hub folder's JupyterHub HelmRelease (render writes it; a render compares its login with the last).
JUPYTERHUB_FILE = "jupyterhub.yaml"
#: A hub folder's drive HelmRelease (render compares its size with the last, to refuse shrinking).
DRIVE_FILE = "drive.yaml"
#: Every top-level folder a render of clusters owns; `render --all` owns all of them.
TOP_FOLDERS = (CLUSTERS, INFRASTRUCTURE, HUBS, EKSCTL)
#: The charts hubfleet ships, one folder each, written by every render whatever its clusters
#: (core/package_data.shipped_charts): a newer hubfleet updates them as it updates the rest.
CHARTS = "charts"
#: The file whose header makes a chart folder hubfleet's (the writer owns the whole folder then).
CHART_FILE = "Chart.yaml"

InfraLayer = Literal["controllers", "configs", "ingress", "monitoring"]
INFRA_LAYERS: tuple[InfraLayer, ...] = ("controllers", "configs", "ingress", "monitoring")
KUSTOMIZE_FILES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})


@dataclass(frozen=True)
class Owner:
    """Who a path of the tree belongs to: a cluster and a component (`entry`, `eksctl`,
    `infrastructure/<layer>`, `hubs`, or `hubs/<hub>`)."""

    cluster: str
    component: str


@dataclass(frozen=True)
class Layout:
    """Paths of the rendered tree, relative to its root; `repo_prefix` is the tree's folder as Flux
    sees it from the repository root (`gitops` by default)."""

    repo_prefix: str = GITOPS

    @classmethod
    def for_output(cls, project_root: Path, out: Path | None) -> Layout:
        """The layout of a tree written to `out` (default `<project_root>/gitops`)."""
        if out is None:
            return cls()
        root, target = project_root.resolve(), out.resolve()
        if target == root:
            return cls("")
        prefix = target.relative_to(root).as_posix() if target.is_relative_to(root) else target.name
        return cls(prefix)

    # Building paths ---------------------------------------------------------------------------

    def entry_dir(self, cluster: str) -> str:
        """The folder given to `flux bootstrap --path`."""
        return f"{CLUSTERS}/{cluster}"

    def infra_dir(self, cluster: str, layer: InfraLayer) -> str:
        return f"{INFRASTRUCTURE}/{cluster}/{layer}"

    def hubs_dir(self, cluster: str) -> str:
        return f"{HUBS}/{cluster}"

    def hub_dir(self, cluster: str, hub: str) -> str:
        return f"{HUBS}/{cluster}/{hub}"

    def eksctl_file(self, cluster: str) -> str:
        return f"{EKSCTL}/{cluster}.yaml"

    def chart_dir(self, chart: str) -> str:
        return f"{CHARTS}/{chart}"

    def chart_source(self, chart: str) -> str:
        """A shipped chart as a HelmRelease names it in the flux-system GitRepository."""
        return self.flux_path(self.chart_dir(chart))

    def repo_path(self, tree_relative: str) -> str:
        """A path of the tree from the repository root, as commands given to people name it."""
        return "/".join(part for part in (self.repo_prefix, tree_relative) if part)

    def eksctl_config(self, cluster: str) -> str:
        """The cluster's ClusterConfig from the repository root: what `eksctl ... -f` is given."""
        return self.repo_path(self.eksctl_file(cluster))

    def flux_path(self, tree_relative: str) -> str:
        """The path a Flux Kustomization gives for a folder of the tree (from the repository root)."""
        return "./" + "/".join(part for part in (self.repo_prefix, tree_relative) if part)

    def owned_scopes(self, cluster: str) -> tuple[str, ...]:
        """Everything in the tree that a render of `cluster` owns (folders end in /)."""
        return (
            f"{self.entry_dir(cluster)}/",
            f"{INFRASTRUCTURE}/{cluster}/",
            f"{self.hubs_dir(cluster)}/",
            self.eksctl_file(cluster),
        )

    def all_scopes(self) -> tuple[str, ...]:
        """Everything in the tree that `render --all` owns."""
        return (*(f"{folder}/" for folder in TOP_FOLDERS), self.charts_scope())

    @staticmethod
    def charts_scope() -> str:
        """The shipped charts: every render owns them, whichever clusters it renders."""
        return f"{CHARTS}/"

    @staticmethod
    def chart_of(tree_relative: str) -> str | None:
        """The chart folder (`charts/<name>`) a path lies in, or None."""
        parts = PurePosixPath(tree_relative).parts
        return f"{CHARTS}/{parts[1]}" if len(parts) >= 3 and parts[0] == CHARTS else None

    # Reading paths ----------------------------------------------------------------------------

    def owner(self, tree_relative: str) -> Owner | None:
        """The cluster and component of a path relative to the tree's root, or None if no render
        writes there (flux bootstrap's folders included)."""
        parts = PurePosixPath(tree_relative).parts
        if len(parts) == 2 and parts[0] == EKSCTL and parts[1].endswith(".yaml"):
            return Owner(parts[1].removesuffix(".yaml"), "eksctl")
        if len(parts) < 3 or parts[0] not in (CLUSTERS, INFRASTRUCTURE, HUBS):
            return None
        cluster = parts[1]
        if parts[0] == CLUSTERS:
            return None if BOOTSTRAP_DIR in parts[2:-1] else Owner(cluster, "entry")
        if parts[0] == INFRASTRUCTURE:
            return Owner(cluster, f"{INFRASTRUCTURE}/{parts[2]}") if len(parts) >= 4 else None
        return Owner(cluster, f"{HUBS}/{parts[2]}" if len(parts) >= 4 else HUBS)

    def is_eksctl(self, tree_relative: str) -> bool:
        owner = self.owner(tree_relative)
        return owner is not None and owner.component == "eksctl"

    @staticmethod
    def is_kustomize_file(tree_relative: str) -> bool:
        return PurePosixPath(tree_relative).name in KUSTOMIZE_FILES
