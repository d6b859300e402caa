"""Changed HelmReleases expanded through their charts, base and head, so the plan sees what
helm-controller will apply inside them: a StatefulSet whose claim template changes, a claim or a
Deployment that goes, an image that moves (an edge: it runs helm and fetches chart packages).

Only releases whose HelmRelease changed are expanded (an unchanged HelmRelease of the same chart
renders the same objects), with the chart packages the side's `charts.lock` pins, fetched through
the chart cache (and `HUBFLEET_CHART_MIRROR`) like validate's. Values a chart makes up at random on
every run (z2jh's generated secrets, and the checksums of them that restart its pods) would show
as changes that are not: they are left out of the comparison. So would the claim templates of a
StatefulSet the chart reads back from the cluster (`lookup`, as our drive chart does to keep them
unchanged): those are left out too. Values read from Secrets (`valuesFrom`) are not known here
and are not set; validate checks those.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.charts import UPSTREAM_CHARTS, chart_spec
from ..core.layout import Layout
from ..system.programs import run
from ..upstream.cache import ChartRef, ChartSource, FetchError, read_lock
from ..upstream.helm import placement, post_render, post_renderers, template_command
from ..upstream.packages import chart_files
from .objects import ObjectChange, documents, index_documents, indexed_changes

HELM_TIMEOUT_S = 300
#: How a HelmRelease names a chart hubfleet ships (rendered into the tree's charts/).
OWN_CHART_PREFIX = Layout().chart_source("")
#: Annotations charts compute from generated values: they change on every run.
RANDOM_ANNOTATION_PREFIX = "checksum/"
#: A chart whose templates read a live StatefulSet back (Helm `lookup`) keeps its claim templates
#: as the cluster has them; `helm template` sees no cluster, so they would look changed.
READS_BACK = re.compile(r'lookup\s+"apps/v1"\s+"StatefulSet"')


@dataclass(frozen=True)
class Side:
    """One side of the plan, as the expander needs it: where our charts are, its chart lock, and
    each cluster's Kubernetes version."""

    charts: Path
    lock: Path
    kubernetes: dict[str, str]


def reads_back_statefulsets(chart: Path) -> bool:
    """Whether a chart (folder or package) looks its StatefulSets up in the cluster."""
    # Subcharts' templates too (charts/<sub>/templates/): a lookup there reads back as well.
    templates = chart_files(chart, lambda inside: "/templates/" in f"/{inside}")
    return any(READS_BACK.search(text.decode(errors="replace")) for text in templates.values())


def _stable(document: dict[str, Any], read_back: bool) -> dict[str, Any]:
    """The document without what the chart makes up at random, or reads from the cluster."""
    if read_back and document.get("kind") == "StatefulSet":
        document = json.loads(json.dumps(document, default=str))
        for template in document.get("spec", {}).get("volumeClaimTemplates") or []:
            if isinstance(template, dict):  # only the size is read back from the cluster
                template.get("spec", {}).get("resources", {}).get("requests", {}).pop("storage", None)
    if document.get("kind") == "Secret":
        document = {k: v for k, v in document.items() if k not in ("data", "stringData")}
    spec = document.get("spec")
    template = spec.get("template") if isinstance(spec, dict) else None
    metadata = template.get("metadata") if isinstance(template, dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if isinstance(annotations, dict):
        kept = {k: v for k, v in annotations.items() if not str(k).startswith(RANDOM_ANNOTATION_PREFIX)}
        document = json.loads(json.dumps(document, default=str))
        document["spec"]["template"]["metadata"]["annotations"] = kept
    return document


@dataclass(frozen=True)
class Expanded:
    documents: list[dict[str, Any]]
    reads_back: bool


NOTHING = Expanded([], False)


class Expander:
    """helm template of one side's HelmReleases; failures become notes, never a stopped plan."""

    def __init__(
        self, helm: str, source: ChartSource, workdir: Path, notes: list[str], kubectl: str | None = None
    ) -> None:
        self.helm = helm
        self.kubectl = kubectl
        self.source = source
        self.workdir = workdir
        self.notes = notes

    def _chart(self, side: Side, document: dict[str, Any]) -> str | None:
        spec = chart_spec(document.get("spec"))
        found = spec.get("sourceRef")
        source: dict[str, Any] = found if isinstance(found, dict) else {}
        chart, version = str(spec.get("chart", "")), str(spec.get("version", ""))
        if source.get("kind") == "GitRepository":
            folder = (side.charts / chart.removeprefix(OWN_CHART_PREFIX)).resolve()
            if folder.is_relative_to(side.charts.resolve()) and (folder / "Chart.yaml").is_file():
                return str(folder)
            self.notes.append(f"chart {chart} is not in this side's charts/: its releases were not expanded")
            return None
        known = next(
            (c for c in UPSTREAM_CHARTS if c.chart == chart and c.repository.name == source.get("name")), None
        )
        if known is None:
            self.notes.append(
                f"chart {chart} of {source.get('name')} is not one hubfleet deploys: not expanded"
            )
            return None
        ref = ChartRef(known.repository.url, chart, version)
        try:
            digest = read_lock(side.lock).get(ref) if side.lock.is_file() else None
            if digest is None:
                self.notes.append(f"{ref} is not in charts.lock: its releases were not expanded")
                return None
            return str(self.source.package(ref, digest))
        except (FetchError, OSError, ValueError) as error:
            self.notes.append(f"{error}: its releases were not expanded")
            return None

    def expand(self, side: Side, cluster: str, document: dict[str, Any]) -> Expanded | None:
        """The objects helm-controller would apply for one HelmRelease (upstream/helm.py), or None
        with a note saying why it was not expanded."""
        chart = self._chart(side, document)
        if chart is None:
            return None
        metadata = document.get("metadata") or {}
        spec = document.get("spec") or {}
        name = str(metadata.get("name") or "release")
        placed = placement(spec, name, str(metadata.get("namespace") or "default"))
        values = spec.get("values") if isinstance(spec.get("values"), dict) else {}
        handle, values_file = tempfile.mkstemp(suffix=".json", dir=self.workdir)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(values, out)
        # Our own charts' values schemas are checked; an upstream one may fetch its schema from the
        # internet, which a plan never does (validate checks those values offline).
        upstream = not Path(chart).is_dir()
        command = template_command(self.helm, Path(chart), placed.release_name, placed.namespace,
                                   side.kubernetes.get(cluster), [Path(values_file)], upstream)  # fmt: skip
        done = post_render(
            run(command, timeout=HELM_TIMEOUT_S), post_renderers(spec), self.kubectl, self.workdir
        )
        if not done.ok:
            self.notes.append(f"{cluster}: HelmRelease {placed.namespace}/{name}: helm template: "
                              f"{done.error_text()}")  # fmt: skip
            return None
        found = documents(done.stdout.encode())
        for item in found:
            item.setdefault("metadata", {}).setdefault("namespace", placed.namespace)
        return Expanded(found, reads_back_statefulsets(Path(chart)))


def expanded_changes(
    expander: Expander, base: Side, head: Side, releases: list[ObjectChange]
) -> list[ObjectChange]:
    """The objects inside each changed HelmRelease that change, base against head; helm runs
    in parallel, one per core."""

    def both(change: ObjectChange) -> tuple[Expanded | None, Expanded | None]:
        cluster = change.key.cluster
        old = expander.expand(base, cluster, change.old) if change.old else NOTHING
        new = expander.expand(head, cluster, change.new) if change.new else NOTHING
        return old, new

    with ThreadPoolExecutor(max(1, os.cpu_count() or 1)) as pool:
        expanded = list(pool.map(both, releases))
    found = []
    for change, (old, new) in zip(releases, expanded, strict=True):
        if old is None or new is None:
            continue
        key = change.key
        read_back = old.reads_back or new.reads_back
        before = index_documents(key.cluster, change.path, [_stable(d, read_back) for d in old.documents])
        after = index_documents(key.cluster, change.path, [_stable(d, read_back) for d in new.documents])
        found += indexed_changes(before, after, f"HelmRelease {key.namespace}/{key.name}")
    return found
