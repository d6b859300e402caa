"""`hubfleet validate`: every layer, in order, over the clusters asked for. Library code: it raises
InputError for usage and unreadable input (exit 2) and returns a Report of findings.

helm and kubectl runs start first, in a thread pool, so they overlap with the
schema checks done in this process.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from ..core.layout import IMAGES_LOCK
from ..errors import InputError, UsageError
from ..inputs.pipeline import Scope, load_project
from ..system.programs import require_tool
from ..system.progress import waiting
from ..system.project import Project
from ..system.settings import now, today
from ..upstream.cache import ChartRef, ChartSource, FetchError, read_lock
from ..upstream.image_lock import LockedImage, read_image_lock
from ..upstream.packages import ChartDefaults
from ..write.pipeline import settle
from .charts import ChartRelease, ChartRuns, chart_releases
from .eksctl import check_eksctl
from .expansions import ExpansionCache, checker_identity
from .findings import LAYERS, Report, Tally
from .fleet import validate_fleet
from .flux import WiringCheck, finish_builds, start_builds
from .freshness import check_freshness
from .guard import check_guard
from .hardening import check_hardening
from .images import check_images, check_locked, images_run
from .ingress import check_ingresses, check_tls_secrets
from .isolation import check_drive_isolation
from .kubeconform import KubeconformChecker, find_kubeconform
from .leaks import check_leaks, scanned_files
from .lint import (
    ClusterLint,
    capacity_lint,
    expiry_watch_lint,
    flux_lint,
    placeholder_lint,
    profile_groups_lint,
    sealing_audit,
    version_lint,
)
from .locations import SchemaSources, schema_sources
from .manifests import Locator, Manifest
from .objects import ObjectChecker, check_objects
from .packaged import packaged_sources
from .pods import UserPods, check_pods, hub_python
from .reachability import check_reachability, explain
from .references import check_references
from .schemas import JsonSchemaChecker, ValidatorCache
from .tree import Tree, read_tree
from .upstream import check_offline_values, upstream_releases
from .values import check_upstream_values

Backend = Literal["auto", "kubeconform", "jsonschema"]


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


@dataclass(frozen=True)
class Request:
    """What to validate and how; the CLI's options."""

    clusters: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    ignore_missing_schemas: bool = False
    backend: Backend = "auto"
    jobs: int = field(default_factory=default_jobs)
    skip: frozenset[str] = frozenset()
    now: datetime | None = None
    cwd: Path | None = None
    offline: bool = False
    chart_mirror: str | None = None
    chart_cache: Path | None = None
    #: `--base REF`: also run the data-loss guard against that revision.
    base: str | None = None
    #: `--hub-python`: build every user's pod with the hub image's JupyterHub and KubeSpawner.
    hub_python: str | None = None
    #: `--fleet`: only what spans clusters (inputs, the whole tree's freshness, leaks, the guard);
    #: each cluster's objects, charts and wiring are another job's (`validate CLUSTER`).
    fleet: bool = False


def object_checker(request: Request, sources: SchemaSources, cache: ValidatorCache) -> ObjectChecker:
    wording = JsonSchemaChecker(sources, cache)
    if request.backend == "jsonschema":
        return wording
    if request.backend == "auto" and not request.locations:
        # The installed Kubernetes schemas $ref their definitions by a kubernetes.io URL that only
        # the in-process backend maps to the file beside them; kubeconform would try to download it.
        return wording
    binary = find_kubeconform()
    if binary is None and request.backend == "kubeconform":
        raise UsageError("--backend kubeconform", "kubeconform is not on PATH")
    return KubeconformChecker(binary, sources, request.jobs, wording) if binary else wording


def check_lint(
    project: Project,
    tree: Tree,
    locator: Locator,
    rendered: list[tuple[Manifest, Manifest]],
    now: datetime,
    user_pods: UserPods,
    explained: dict[str, list[str]],
    images: dict[str, set[str]],
) -> Tally:
    """Layer 7 for each cluster: drives, EBS attachments, reachability (with the user pods
    KubeSpawner built; each cluster's table goes into `explained`), ingress, TLS, the sealing audit."""
    tally = Tally("lint")
    image_lock, readable = read_images_lock(project, tally)
    # Grouped once: filtering every release's output per cluster would grow with clusters squared.
    by_cluster: dict[str | None, list[tuple[Manifest, Manifest]]] = defaultdict(list)
    for release, output in rendered:
        by_cluster[tree.cluster_of(release)].append((release, output))
    for name, cluster in sorted(tree.clusters.items()):
        lint = ClusterLint(tree, cluster, locator, tally)
        lint.drives()
        lint.attachments()
        check_drive_isolation(lint)
        mine = by_cluster[name]
        built = {hub: pods for (owner, hub), pods in user_pods.items() if owner == name}
        if built:
            net, rows = check_reachability(lint, mine, built)
            explained[name] = explain(name, net, rows)
        check_ingresses(lint, mine)
        check_images(lint, mine)
        pods = [pod for (owner, _), built in user_pods.items() if owner == name for pod in built]
        used = images_run(lint, mine, pods)
        if readable:
            check_locked(lint, used, image_lock)
        for image, runners in used.items():
            images.setdefault(image, set()).update(runners)
        check_hardening(lint, mine)
        check_references(lint, mine)
        check_tls_secrets(lint)
        sealing_audit(project, cluster, now, tally)
        capacity_lint(cluster, tally)
        profile_groups_lint(cluster, tally)
        version_lint(cluster, today(), tally)
        expiry_watch_lint(cluster, tally)
        flux_lint(cluster, tally)
        placeholder_lint(project, cluster, tally)
    return tally


def read_images_lock(project: Project, tally: Tally) -> tuple[dict[str, LockedImage] | None, bool]:
    """images.lock (None without the file), and whether it could be read; each entry that does not
    parse is a finding, and then no image is checked against it."""
    check = f"lock:{IMAGES_LOCK}"
    tally.checked(check)
    if not project.images_lock.is_file():
        return None, True
    try:
        return read_image_lock(project.images_lock, IMAGES_LOCK), True
    except InputError as error:
        for problem in error.problems:
            tally.report(check, problem)
        return None, False


def chart_source(request: Request) -> ChartSource:
    return ChartSource.from_environment(request.chart_mirror, request.offline, request.chart_cache)


def locked_charts(project: Project, tally: Tally) -> dict[ChartRef, str]:
    """charts.lock, or a finding saying why it cannot be used (every upstream release then
    reports that its chart is not locked)."""
    check = f"lock:{project.relative(project.charts_lock)}"
    tally.checked(check)
    try:
        return read_lock(project.charts_lock)
    except FetchError as error:
        tally.fail(check, project.relative(project.charts_lock), 0, "", str(error))
        return {}


def validate_project(project: Project, request: Request) -> Report:
    unknown = sorted(request.skip - set(LAYERS[1:]))
    if unknown:
        raise UsageError(f"--skip {unknown[0]}", f"no such layer (layers: {', '.join(LAYERS[1:])})")
    wanted = [layer for layer in LAYERS if layer not in request.skip]
    if request.fleet:
        if request.clusters or request.skip:
            raise UsageError(
                "--fleet", "checks what no cluster's job does; name no CLUSTER and no --skip with it"
            )
        return validate_fleet(project, request.base)
    scope = Scope.select(project, request.clusters, False, default_all=True)
    try:
        clusters = load_project(project, scope)
    except InputError as error:
        # validate writes nothing: say what it did instead.
        raise InputError(error.problems, outcome="validation stopped at the inputs layer") from None
    inputs = Tally("inputs")
    for cluster in clusters:
        inputs.checked(cluster.source_file)
        for hub in cluster.hubs:
            inputs.checked(hub.source_file)
    if request.locations:
        sources = schema_sources(request.locations, request.cwd or Path.cwd(), request.ignore_missing_schemas)
    else:
        sources = packaged_sources(request.ignore_missing_schemas)
    cache = ValidatorCache()
    checker = object_checker(request, sources, cache)
    helm = require_tool("helm", project.root, "charts") if "charts" in wanted else ""
    python = hub_python(request.hub_python) if "charts" in wanted else None
    kubectl = require_tool("kubectl", project.root, "flux") if "flux" in wanted else ""
    settle(project, project.gitops_dir)  # a render killed half way is finished before the tree is read
    source = chart_source(request)
    expansions = ExpansionCache(source.cache / "expansions")
    tree = read_tree(project, clusters, scope.everything, expansions.parse)
    locator = Locator(project.root)
    tallies = [inputs]
    if request.base is not None:
        tallies.append(check_guard(project, request.base, request.clusters))
    charts, flux = Tally("charts"), Tally("flux")
    with (
        waiting("validating: fetching charts, expanding every release with helm"),
        ThreadPoolExecutor(request.jobs) as pool,
        tempfile.TemporaryDirectory(prefix="hubfleet-") as tmp,
    ):
        builds = (
            start_builds(pool, kubectl, WiringCheck(tree, locator, flux).run(), expansions)
            if "flux" in wanted
            else []
        )
        runs = ChartRuns(helm, project.root, pool, Path(tmp), expansions)
        upstream: list[tuple[ChartRelease, ChartDefaults]] = []
        if "charts" in wanted:
            runs.start_lint()
            upstream = upstream_releases(tree, source, locked_charts(project, charts), charts)
            runs.start_templates(chart_releases(tree, charts) + [release for release, _ in upstream])
        if "freshness" in wanted:
            tallies.append(check_freshness(project, scope, clusters))
        rendered: list[tuple[Manifest, Manifest]] = []
        user_pods: UserPods = {}
        explained: dict[str, list[str]] = {}
        images: dict[str, set[str]] = {}
        if "charts" in wanted:
            # First: the CRDs the charts render become schemas for the objects layer.
            runs.finish_lint(charts)
            found = runs.finish_templates(checker, locator, charts, sources.ignore_missing)
            rendered = [(release.manifest, manifest) for release, manifest in found]
            if python is not None:
                user_pods = check_pods(
                    found, clusters, python, JsonSchemaChecker(sources, cache), pool, Path(tmp), charts
                )
            check_offline_values(upstream, cache, locator, charts, Path(tmp), expansions)
            if sources.values_dir is not None:
                check_upstream_values(tree, sources, cache, locator, charts)
        if "objects" in wanted:
            identity = checker_identity(checker, Path(tmp) / "crd-schemas")
            tallies.append(
                check_objects(tree, checker, locator, sources.ignore_missing, (expansions, identity))
            )
        if "eksctl" in wanted:
            tallies.append(check_eksctl(tree, sources, cache, locator))
        if "charts" in wanted:
            tallies.append(charts)
        if "flux" in wanted:
            finish_builds(builds, project.root, locator, flux)
            tallies.append(flux)
        if "lint" in wanted:
            lint = check_lint(
                project, tree, locator, rendered, request.now or now(), user_pods, explained, images
            )
            check_leaks(project, scanned_files(project, tree, scope.everything), lint)
            tallies.append(lint)
    skipped = tuple(layer for layer in LAYERS if layer in request.skip)
    networks = tuple((name, tuple(lines)) for name, lines in sorted(explained.items()))
    seen = tuple((image, tuple(sorted(runners))) for image, runners in sorted(images.items()))
    return Report(tuple(tallies), skipped, networks, seen)
