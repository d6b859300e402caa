"""Layer 6, Flux wiring: every reference Flux follows resolves, and every Kustomization path builds.

References are resolved inside one cluster's tree: Kustomization sourceRef, path
and dependsOn; HelmRelease chart sourceRef (or chartRef), chart path and
dependsOn. The GitRepository flux-system/flux-system is created by
`flux bootstrap`, so it always exists. `kubectl kustomize` then builds each folder
a Kustomization points at, as kustomize-controller will.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from ..core.charts import chart_spec
from ..core.names import FLUX_NAMESPACE, GIT_REPOSITORY, HELM_GROUP
from ..system.programs import TIMEOUT, Ran, run
from ..system.yaml_reader import load_one
from .expansions import ExpansionCache
from .findings import Tally
from .manifests import Locator, Manifest
from .tree import Tree

SOURCE_GROUP = "source.toolkit.fluxcd.io"
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
BOOTSTRAP_SOURCE = ("GitRepository", FLUX_NAMESPACE, GIT_REPOSITORY)
Ref = tuple[str, str]


@dataclass
class Wiring:
    """The Flux objects of one cluster, by namespace and name."""

    cluster: str
    sources: set[tuple[str, str, str]] = field(default_factory=lambda: {BOOTSTRAP_SOURCE})
    kustomizations: dict[Ref, Manifest] = field(default_factory=dict)
    releases: dict[Ref, Manifest] = field(default_factory=dict)


@dataclass(frozen=True)
class Build:
    """A folder to build, and the Kustomization that points at it."""

    manifest: Manifest
    path: str
    folder: Path


def _wiring(tree: Tree, cluster: str) -> Wiring:
    wiring = Wiring(cluster)
    for manifest in tree.objects(cluster):
        ref = (manifest.namespace, manifest.name)
        if manifest.group == SOURCE_GROUP:
            wiring.sources.add((manifest.kind, *ref))
        elif manifest.is_a(KUSTOMIZE_GROUP, "Kustomization"):
            wiring.kustomizations[ref] = manifest
        elif manifest.is_a(HELM_GROUP, "HelmRelease"):
            wiring.releases[ref] = manifest
    return wiring


class WiringCheck:
    def __init__(self, tree: Tree, locator: Locator, tally: Tally) -> None:
        self.tree = tree
        self.locator = locator
        self.tally = tally
        self.builds: list[Build] = []

    def fail(self, manifest: Manifest, field: tuple[str | int, ...], message: str) -> None:
        self.tally.fail(
            f"wiring:{manifest.key}",
            manifest.path,
            self.locator.line(manifest, field),
            manifest.subject,
            message,
        )

    def run(self) -> list[Build]:
        for cluster in sorted(self.tree.clusters):
            wiring = _wiring(self.tree, cluster)
            for manifest in wiring.kustomizations.values():
                self.tally.checked(f"wiring:{manifest.key}")
                self._kustomization(wiring, manifest)
            for manifest in wiring.releases.values():
                self.tally.checked(f"wiring:{manifest.key}")
                self._release(wiring, manifest)
            self._cycles(wiring.kustomizations)
            self._cycles(wiring.releases)
        return self.builds

    def _source(self, wiring: Wiring, manifest: Manifest, ref: Any, where: tuple[str, ...]) -> bool:
        if not isinstance(ref, dict):
            self.fail(manifest, where, f"{'.'.join(where)}: missing")
            return False
        wanted = (str(ref.get("kind")), str(ref.get("namespace") or manifest.namespace), str(ref.get("name")))
        if wanted not in wiring.sources:
            self.fail(
                manifest,
                where,
                f"{'.'.join(where)}: {wanted[0]} {wanted[1]}/{wanted[2]} does not exist in cluster {wiring.cluster}",
            )
            return False
        return wanted == BOOTSTRAP_SOURCE

    def _depends_on(self, manifest: Manifest, known: dict[Ref, Manifest], cluster: str) -> None:
        for index, entry in enumerate(_depends(manifest)):
            if (entry[0], entry[1]) not in known:
                self.fail(
                    manifest,
                    ("spec", "dependsOn", index),
                    f"spec.dependsOn[{index}]: {manifest.kind} {entry[0]}/{entry[1]} does not exist in cluster {cluster}",
                )

    def _kustomization(self, wiring: Wiring, manifest: Manifest) -> None:
        spec = manifest.spec
        from_here = self._source(wiring, manifest, spec.get("sourceRef"), ("spec", "sourceRef"))
        self._depends_on(manifest, wiring.kustomizations, wiring.cluster)
        if not from_here:
            return
        path = str(spec.get("path") or "./")
        folder = self._inside(path)
        if folder is None:
            self.fail(manifest, ("spec", "path"), f"spec.path: {path} is outside the repository")
        elif not folder.is_dir():
            self.fail(manifest, ("spec", "path"), f"spec.path: {path} does not exist in the repository")
        else:
            self.builds.append(Build(manifest, path, folder))

    def _release(self, wiring: Wiring, manifest: Manifest) -> None:
        spec = manifest.spec
        self._depends_on(manifest, wiring.releases, wiring.cluster)
        if "chartRef" in spec:
            self._source(wiring, manifest, spec["chartRef"], ("spec", "chartRef"))
            return
        chart = chart_spec(spec)
        from_here = self._source(
            wiring, manifest, chart.get("sourceRef"), ("spec", "chart", "spec", "sourceRef")
        )
        name = str(chart.get("chart", ""))
        if from_here:
            folder = self._inside(name)
            if folder is None or not (folder / "Chart.yaml").is_file():
                self.fail(
                    manifest,
                    ("spec", "chart", "spec", "chart"),
                    f"spec.chart.spec.chart: {name} is not a chart in this repository (no Chart.yaml there)",
                )

    def _inside(self, path: str) -> Path | None:
        root = self.tree.root.resolve()
        folder = (root / path.lstrip("/")).resolve()
        return folder if folder.is_relative_to(root) and not path.startswith("/") else None

    def _cycles(self, objects: dict[Ref, Manifest]) -> None:
        graph = {ref: [d for d in _depends(m) if d in objects] for ref, m in objects.items()}
        reported: set[frozenset[Ref]] = set()
        for start in sorted(graph):
            path = _cycle_from(graph, start)
            if path and frozenset(path) not in reported:
                reported.add(frozenset(path))
                names = " -> ".join(f"{ns}/{name}" for ns, name in [*path, path[0]])
                self.fail(objects[start], ("spec", "dependsOn"), f"spec.dependsOn: cycle {names}")


def _depends(manifest: Manifest) -> list[Ref]:
    entries = manifest.spec.get("dependsOn")
    refs = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            refs.append((str(entry.get("namespace") or manifest.namespace), str(entry.get("name"))))
    return refs


def _cycle_from(graph: dict[Ref, list[Ref]], start: Ref) -> list[Ref]:
    """A dependency cycle through `start`, as the list of its members, or []."""
    stack: list[tuple[Ref, list[Ref]]] = [(start, [start])]
    seen: set[Ref] = set()
    while stack:
        node, path = stack.pop()
        for nxt in graph.get(node, []):
            if nxt == start:
                return path
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return []


def start_builds(
    pool: ThreadPoolExecutor, kubectl: str, builds: list[Build], kept: ExpansionCache | None = None
) -> list[tuple[Build, Future[Ran]]]:
    """`kubectl kustomize` of each folder once. A folder whose every file is the same as at a
    successful build before is not built again (kept), unless it reaches outside itself (`../`)."""
    started: dict[Path, tuple[Build, Future[Ran]]] = {}
    for build in builds:
        if build.folder in started:
            continue
        command = [kubectl, "kustomize", str(build.folder)]
        remote = remote_resources(build.folder)
        if remote:
            # Never fetched here: a stalling server would hold validate, and the build would
            # check what the network said today, not what Flux will fetch at its next reconcile.
            refused = Ran(1, "", f"lists the remote resource {remote[0]}, which validate does not fetch; "
                                 "vendor it into the repository")  # fmt: skip
            started[build.folder] = (build, _done(refused))
        elif kept is not None and _self_contained(build.folder):
            started[build.folder] = (build, pool.submit(kept.run, command, build.folder, [], True))
        else:
            started[build.folder] = (build, pool.submit(run, command, None, TIMEOUT, True))
    return list(started.values())


KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
#: How kustomize spells a remote base: a URL, or a git host path.
_REMOTE = ("://", "github.com/", "gitlab.com/", "bitbucket.org/", "git@")


def remote_resources(folder: Path) -> list[str]:
    """Entries of `resources`, `components` or `bases` of the kustomization files under `folder`
    that kustomize would fetch from the network."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.name in KUSTOMIZATION_FILES and p.is_file()):
        try:
            data = load_one(path.read_bytes())
        except (OSError, YAMLError, ValueError):
            continue  # the build reports what is wrong with it
        for key in ("resources", "components", "bases"):
            entries = data.get(key) if isinstance(data, dict) else None
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, str) and any(mark in entry for mark in _REMOTE):
                    found.append(entry)
    return found


def _done(ran: Ran) -> Future[Ran]:
    future: Future[Ran] = Future()
    future.set_result(ran)
    return future


def _self_contained(folder: Path) -> bool:
    try:
        return folder.is_dir() and not any(
            b"../" in path.read_bytes() for path in folder.rglob("*") if path.is_file()
        )
    except OSError:
        return False


def finish_builds(
    started: list[tuple[Build, Future[Ran]]], root: Path, locator: Locator, tally: Tally
) -> None:
    for build, future in started:
        ran = future.result()
        manifest = build.manifest
        check = f"build:{build.path}"
        tally.checked(check)
        if not ran.ok:
            tally.fail(
                check,
                manifest.path,
                locator.line(manifest, ("spec", "path")),
                manifest.subject,
                f"kubectl kustomize {build.path} failed: {ran.error_text(root)}",
            )
