"""Layer 5, charts: `helm lint --strict` on our charts, and `helm template` of every HelmRelease
that uses one of them, with exactly its values, checked as objects are. That is what Flux applies.

helm is the slow part, so it runs once per distinct chart, values, release name
and Kubernetes version, in parallel. Releases that differ only in namespace (one
drive per hub) share a run: the chart is rendered once with a probe namespace and
once with the first real one; only when the probe's output with the real namespace
put in is byte-identical to the real run is every other namespace's output derived
by the same substitution. Otherwise each namespace gets its own run. A template
that hashes, case-folds or otherwise computes with the namespace fails that test
(the probe's hash is not the real one's). So does one that truncates it: the probe
is as long as the longest namespace of the group, so a limit that would cut any
member's namespace cuts the probe's too. What the test cannot see is a template
that singles out one namespace by value (`eq .Release.Namespace "x"`); no chart in
charts/ does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.charts import chart_spec
from ..core.kubernetes import kube_version
from ..core.layout import CHART_FILE
from ..core.names import FLUX_NAMESPACE, GIT_REPOSITORY, HELM_GROUP
from ..core.schema_errors import Issue
from ..system.programs import Ran, find_tool, run
from ..upstream.helm import placement, post_render, post_renderer_patches, post_renderers, template_command
from .crds import chart_crd_schemas
from .expansions import ExpansionCache, checker_identity
from .findings import Tally
from .locations import CRD_TEMPLATE
from .manifests import Locator, Manifest
from .objects import ObjectChecker, report_issue
from .tree import LAYOUT, Tree, cluster_of
from .values_from import resolve_values_from, secrets_of, under

_LINT = re.compile(r"^\[(ERROR|WARNING)\]\s+(.*)$")
_POINTER = re.compile(r"at '(/?[^']*)'")
_EXTRA = re.compile(r"^: additional propert(?:y|ies) '([^']+)' not allowed")


@dataclass(frozen=True)
class ChartRelease:
    """A HelmRelease of a chart in this repository, as helm will be asked to render it."""

    manifest: Manifest
    chart: str
    chart_dir: Path
    namespace: str
    release_name: str
    values: dict[str, Any]
    values_files: tuple[Path, ...]
    version: str
    #: helm's values-schema check off: the schema would be fetched from the internet (upstream.py).
    skip_schema: bool = False
    #: spec.postRenderers: kustomize patches helm-controller applies to helm's output.
    post_renderers: tuple[dict[str, Any], ...] = ()

    @classmethod
    def of(
        cls,
        manifest: Manifest,
        chart: str,
        chart_dir: Path,
        kubernetes_version: str,
        values_files: tuple[Path, ...] = (),
        skip_schema: bool = False,
        values_from: dict[str, Any] | None = None,
    ) -> ChartRelease:
        """The release as helm-controller names and places it (hubfleet.upstream.helm.placement)."""
        spec = manifest.spec
        placed = placement(spec, manifest.name, manifest.namespace)
        values = spec.get("values")
        values = under(values_from or {}, values if isinstance(values, dict) else {})
        return cls(
            manifest=manifest,
            chart=chart,
            chart_dir=chart_dir,
            namespace=placed.namespace,
            release_name=placed.release_name,
            values=values,
            values_files=values_files,
            version=kube_version(kubernetes_version),
            skip_schema=skip_schema,
            post_renderers=post_renderers(spec),
        )


def chart_releases(tree: Tree, tally: Tally) -> list[ChartRelease]:
    """HelmReleases whose chart is a path in the flux-system GitRepository (this repository)."""
    releases = []
    secrets: dict[str, dict[tuple[str, str], set[str]]] = {}
    for manifest in tree.objects():
        if not manifest.is_a(HELM_GROUP, "HelmRelease"):
            continue
        chart = chart_spec(manifest.spec)
        source = chart.get("sourceRef")
        if not isinstance(source, dict) or source.get("kind") != "GitRepository":
            continue
        source_namespace = source.get("namespace") or manifest.namespace
        if (source.get("name"), source_namespace) != (GIT_REPOSITORY, FLUX_NAMESPACE):
            tally.warn(
                f"template:{manifest.key}",
                manifest.path,
                manifest.line,
                manifest.subject,
                f"chart from GitRepository {source_namespace}/{source.get('name')}, another repository: not templated",
            )
            continue
        chart_path = str(chart.get("chart", ""))
        chart_dir = (tree.root / chart_path).resolve()
        cluster = tree.clusters.get(cluster_of(manifest.path) or "")
        if cluster is None or not chart_dir.is_relative_to(tree.root.resolve()):
            continue
        if not (chart_dir / "Chart.yaml").is_file():
            continue  # the flux layer reports the unresolved chart path
        files = chart.get("valuesFiles")
        extra = tuple(tree.root / str(f) for f in files) if isinstance(files, list) else ()
        if cluster.name not in secrets:
            secrets[cluster.name] = secrets_of(tree, cluster.name)
        known = secrets[cluster.name]
        overlay = resolve_values_from(manifest, known, tally)
        releases.append(
            ChartRelease.of(
                manifest, chart_path, chart_dir, cluster.kubernetes_version, extra, values_from=overlay
            )
        )
    return releases


PROBE_PREFIX = "hubfleet-probe-"


def probe_namespace(identity: str, longest: int) -> str:
    """A namespace no release has (it holds a digest), at least as long as the longest real one."""
    text = PROBE_PREFIX + hashlib.sha256(identity.encode()).hexdigest()[:16]
    while len(text) < longest:
        text += hashlib.sha256(text.encode()).hexdigest()
    return text[: max(longest, len(PROBE_PREFIX) + 16)]


@dataclass
class _Group:
    """Releases that differ at most in namespace, and the helm runs that render them."""

    sample: ChartRelease
    values_file: Path
    digest: str
    probe: str = ""
    members: dict[str, list[ChartRelease]] = field(default_factory=lambda: defaultdict(list))
    runs: dict[str, Future[Ran]] = field(default_factory=dict)


class ChartRuns:
    """helm runs started early in a thread pool and collected when their results are wanted."""

    def __init__(
        self,
        helm: str,
        root: Path,
        pool: ThreadPoolExecutor,
        workdir: Path,
        expansions: ExpansionCache | None = None,
    ) -> None:
        self.helm = helm
        self.root = root
        self.pool = pool
        self.workdir = workdir
        self.expansions = expansions or ExpansionCache(None)
        self.lints: list[tuple[Path, Future[Ran]]] = []
        self.groups: list[_Group] = []

    def start_lint(self) -> None:
        charts = self.root / LAYOUT.repo_path(LAYOUT.charts_scope())
        for chart_yaml in sorted(charts.glob(f"*/{CHART_FILE}")):
            folder = chart_yaml.parent
            self.lints.append((folder, self.pool.submit(run, [self.helm, "lint", "--strict", str(folder)])))

    def _submit(self, release: ChartRelease, namespace: str, values_file: Path) -> Future[Ran]:
        command = self._command(release, namespace, values_file)
        inputs = [*release.values_files, values_file]
        return self.pool.submit(self.expansions.run, command, release.chart_dir, inputs)

    def _command(self, release: ChartRelease, namespace: str, values_file: Path) -> list[str]:
        return template_command(
            self.helm, release.chart_dir, release.release_name, namespace, release.version,
            [*release.values_files, values_file], release.skip_schema,
        )  # fmt: skip

    def start_templates(self, releases: list[ChartRelease]) -> None:
        groups: dict[str, _Group] = {}
        for release in releases:
            values = json.dumps(release.values, sort_keys=True)
            identity = [str(release.chart_dir), values, *map(str, release.values_files), release.release_name,
                        json.dumps(release.post_renderers, sort_keys=True)]  # fmt: skip
            digest = hashlib.sha256("\0".join([*identity, release.version]).encode()).hexdigest()[:16]
            group = groups.get(digest)
            if group is None:
                values_file = self.workdir / f"{digest}.json"
                values_file.write_text(values, encoding="utf-8")
                group = groups[digest] = _Group(release, values_file, digest)
            group.members[release.namespace].append(release)
        for group in groups.values():
            namespaces = sorted(group.members)
            group.probe = probe_namespace(group.digest, max(map(len, namespaces)))
            wanted = namespaces[:1] + ([group.probe] if len(namespaces) > 1 else [])
            for namespace in wanted:
                group.runs[namespace] = self._submit(group.sample, namespace, group.values_file)
        self.groups = list(groups.values())

    def finish_lint(self, tally: Tally) -> None:
        for folder, future in self.lints:
            ran = future.result()
            name = folder.name
            check = f"lint:{name}"
            tally.checked(check)
            found = [m for m in map(_LINT.match, ran.stdout.splitlines()) if m]
            for match in found:
                where, _, text = match.group(2).partition(": ")
                target = (
                    folder / where if text and where and (folder / where).exists() else folder / "Chart.yaml"
                )
                tally.fail(
                    check, self._relative(target), 0, f"chart/{name}", f"helm lint --strict: {match.group(2)}"
                )
            if not ran.ok and not found:
                tally.fail(
                    check,
                    self._relative(folder / "Chart.yaml"),
                    0,
                    f"chart/{name}",
                    ran.error_text(self.root),
                )

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)

    def _outputs(self, group: _Group) -> dict[str, Ran]:
        """Each member namespace's helm output, derived from the probe where that is proven exact."""
        namespaces = sorted(group.members)
        first = group.runs[namespaces[0]].result()
        outputs = {namespaces[0]: first}
        rest = namespaces[1:]
        if not rest:
            return outputs
        probe = group.runs[group.probe].result()
        if first.ok and probe.ok and probe.stdout.replace(group.probe, namespaces[0]) == first.stdout:
            outputs.update({ns: Ran(0, probe.stdout.replace(group.probe, ns), "") for ns in rest})
            return outputs
        futures = {ns: self._submit(group.sample, ns, group.values_file) for ns in rest}
        outputs.update({ns: future.result() for ns, future in futures.items()})
        return outputs

    def finish_templates(
        self, checker: ObjectChecker, locator: Locator, tally: Tally, ignore_missing: bool
    ) -> list[tuple[ChartRelease, Manifest]]:
        """Report helm failures and schema problems of what helm renders; return the rendered objects."""
        rendered: list[tuple[ChartRelease, Manifest]] = []
        # Per Kubernetes version: (text of a helm output, its releases, its objects).
        outputs: dict[str, list[tuple[str, list[ChartRelease], tuple[Manifest, ...]]]] = defaultdict(list)
        for group in self.groups:
            for namespace, helm_ran in self._outputs(group).items():
                ran = self._post_render(group.sample, helm_ran)
                releases = group.members[namespace]
                for release in releases:
                    self._template_result(release, ran, locator, tally)
                if not ran.ok:
                    continue
                stream = self.expansions.parse(ran.stdout, releases[0].manifest.path)
                for release in releases:
                    rendered += [(release, m) for m in stream.manifests]
                    for line, message in stream.problems:
                        tally.fail(
                            f"template:{release.manifest.key}",
                            release.manifest.path,
                            release.manifest.line,
                            release.manifest.subject,
                            f"helm template output line {line}: {message}",
                        )
                outputs[group.sample.version].append((ran.stdout, releases, stream.manifests))
        crd_folder = self.workdir / "crd-schemas"
        everything = (m.data for found in outputs.values() for _, _, manifests in found for m in manifests)
        if chart_crd_schemas(everything, crd_folder):
            checker.add_location(str(crd_folder / CRD_TEMPLATE))
        identity = checker_identity(checker, crd_folder)
        for version, found in sorted(outputs.items()):
            verdicts = self._verdicts(checker, version, identity, found)
            for (_, releases, manifests), issues_of in zip(found, verdicts, strict=True):
                for output, issues in zip(manifests, issues_of, strict=True):
                    for release in releases:
                        source = release.manifest
                        check = f"rendered:{source.key}>{output.subject}#{output.index}"
                        tally.checked(check)
                        prefix = f"renders {output.subject} ({output.origin or 'helm output'}): "
                        for issue in issues:
                            report_issue(tally, check, source, issue, source.line, ignore_missing, prefix)
        return rendered

    def _verdicts(
        self,
        checker: ObjectChecker,
        version: str,
        identity: str,
        found: list[tuple[str, list[ChartRelease], tuple[Manifest, ...]]],
    ) -> list[list[list[Issue]]]:
        """The schema issues of every object of every output: kept ones where the same output was
        checked by the same checker and schemas before, the rest checked now in one batch."""
        verdicts: list[list[list[Issue]] | None] = [
            self.expansions.issues(text, identity, version) for text, _, _ in found
        ]
        todo = [
            index
            for index, verdict in enumerate(verdicts)
            if verdict is None or len(verdict) != len(found[index][2])
        ]
        batch = [m for index in todo for m in found[index][2]]
        results = iter(checker.check(batch, version)) if batch else iter([])
        for index in todo:
            checked = [next(results) for _ in found[index][2]]
            verdicts[index] = checked
            self.expansions.keep_issues(found[index][0], identity, version, checked)
        return [verdict or [] for verdict in verdicts]

    def _post_render(self, release: ChartRelease, ran: Ran) -> Ran:
        kubectl = find_tool("kubectl", self.root) if post_renderer_patches(release.post_renderers) else None
        return post_render(ran, release.post_renderers, kubectl, self.workdir)

    def _template_result(self, release: ChartRelease, ran: Ran, locator: Locator, tally: Tally) -> None:
        check = f"template:{release.manifest.key}"
        tally.checked(check)
        if ran.ok:
            return
        text = ran.error_text(self.root)
        pointer = _POINTER.search(text)
        field: tuple[str | int, ...] = ("spec", "values")
        if pointer:
            field += tuple(int(p) if p.isdigit() else p for p in pointer.group(1).split("/") if p)
            extra = _EXTRA.search(text[pointer.end() :])
            if extra:  # point at the unknown key itself, not at the mapping that holds it
                field += (extra.group(1).split("', '")[0],)
        tally.fail(
            check,
            release.manifest.path,
            locator.line(release.manifest, field),
            release.manifest.subject,
            f"helm template {release.chart} failed: {text}",
        )
