"""Layer 5, upstream charts: each HelmRelease of a HelmRepository chart, expanded as Flux would.

For every such HelmRelease the chart is resolved from its HelmRepository (the URL in the
tree) and pinned version, taken from the chart cache as recorded in charts.lock
(upstream/cache.py), and templated with the release's name, target namespace, values and
the cluster's Kubernetes version, CRDs included (charts.py runs helm). What comes out is
checked like every object, strictly, against the Kubernetes schema of that version or
the CRD that defines it; the CRDs a chart installs become schemas for the rest of the
run (so a SealedSecret is checked against the sealed-secrets chart it will meet).

helm checks values against the chart's `values.schema.json` as helm-controller does,
except where that schema `$ref`s a URL (nginx-ingress): helm would fetch it from the
internet. There helm's check is switched off and the merged values (chart defaults, then
the release's values, as helm merges them) are checked here, with the URL resolved from the
installed Kubernetes definitions (packaged.py).
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from ..core.charts import chart_spec
from ..core.layout import CHARTS_LOCK
from ..core.names import HELM_GROUP
from ..upstream.cache import ChartRef, ChartSource, FetchError, Unreachable, no_source_advice
from ..upstream.packages import ChartDefaults, chart_defaults
from .charts import ChartRelease
from .expansions import ExpansionCache, values_identity
from .findings import Tally
from .manifests import Locator
from .schemas import ValidatorCache, schema_issues
from .tree import Tree, cluster_of
from .values import report_values
from .values_from import resolve_values_from, secrets_of

SOURCE_GROUP = "source.toolkit.fluxcd.io"


def merged_values(defaults: Any, overrides: Any) -> Any:
    """helm's coalescing: maps merge key by key, anything else replaces, null removes a key."""
    if not isinstance(defaults, dict) or not isinstance(overrides, dict):
        return overrides
    merged = dict(defaults)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merged_values(defaults.get(key), value)
    return merged


def _repository_urls(tree: Tree) -> dict[tuple[str | None, str, str], str]:
    """Every HelmRepository's URL by (cluster, namespace, name): one pass, so finding a release's
    repository costs the same in a fleet of 30 clusters as in one."""
    urls: dict[tuple[str | None, str, str], str] = {}
    for manifest in tree.objects():
        if manifest.is_a(SOURCE_GROUP, "HelmRepository") and manifest.spec.get("url"):
            urls[(cluster_of(manifest.path), manifest.namespace, manifest.name)] = str(manifest.spec["url"])
    return urls


def upstream_releases(
    tree: Tree, source: ChartSource, lock: dict[ChartRef, str], tally: Tally
) -> list[tuple[ChartRelease, ChartDefaults]]:
    """The HelmRepository releases of the tree, each with its verified package; a release
    whose chart cannot be had is a finding at its file and line."""
    found = []
    unreachable: dict[ChartRef, str] = {}
    urls = _repository_urls(tree)
    secrets_by_cluster: dict[str, dict[tuple[str, str], set[str]]] = {}
    for manifest in tree.objects():
        if not manifest.is_a(HELM_GROUP, "HelmRelease"):
            continue
        chart = chart_spec(manifest.spec)
        sourced = chart.get("sourceRef")
        if not isinstance(sourced, dict) or sourced.get("kind") != "HelmRepository":
            continue
        cluster = tree.clusters.get(cluster_of(manifest.path) or "")
        if cluster is None:
            continue
        check = f"template:{manifest.key}"
        url = urls.get(
            (
                cluster_of(manifest.path),
                str(sourced.get("namespace") or manifest.namespace),
                str(sourced.get("name")),
            )
        )
        if url is None:
            continue  # the flux layer reports a HelmRepository that is not there
        ref = ChartRef(url, str(chart.get("chart", "")), str(chart.get("version", "")))
        digest = lock.get(ref)
        tally.checked(check)
        if digest is None:
            tally.fail(
                check,
                manifest.path,
                manifest.line,
                manifest.subject,
                f"chart {ref} is not in charts.lock; run `hubfleet charts lock` and commit it",
            )
            continue
        if ref in unreachable:
            continue
        try:
            package_path = source.package(ref, digest)
            package = chart_defaults(package_path)
        except Unreachable as error:
            unreachable[ref] = str(error)
            continue
        except FetchError as error:
            tally.fail(check, manifest.path, manifest.line, manifest.subject, str(error))
            continue
        except (OSError, tarfile.TarError, YAMLError, ValueError) as error:
            tally.fail(
                check,
                manifest.path,
                manifest.line,
                manifest.subject,
                f"chart {ref}: unreadable package ({error})",
            )
            continue
        chart_name = f"{ref.chart} {ref.version}"
        if cluster.name not in secrets_by_cluster:
            secrets_by_cluster[cluster.name] = secrets_of(tree, cluster.name)
        secrets = secrets_by_cluster[cluster.name]
        release = ChartRelease.of(
            manifest,
            chart_name,
            package_path,
            cluster.kubernetes_version,
            skip_schema=package.schema_needs_network,
            values_from=resolve_values_from(manifest, secrets, tally),
        )
        found.append((release, package))
    if unreachable:
        named = sorted(unreachable, key=lambda ref: (ref.chart, ref.version))
        charts = ", ".join(f"{ref.chart} {ref.version}" for ref in named)
        first = unreachable[named[0]]
        tally.fail(
            "charts:source",
            CHARTS_LOCK,
            0,
            "",
            f"{len(unreachable)} chart packages could not be had ({charts}), so their releases were not "
            f"checked: {first}; {no_source_advice(source.cache)}",
        )
    return found


def check_offline_values(
    releases: list[tuple[ChartRelease, ChartDefaults]],
    cache: ValidatorCache,
    locator: Locator,
    tally: Tally,
    workdir: Path,
    kept: ExpansionCache | None = None,
) -> None:
    """Merged values against the schemas helm would have fetched from the internet; verdicts kept
    between runs by the chart (its digest names its schema) and the merged values."""
    for release, package in releases:
        if not release.skip_schema or package.values_schema is None:
            continue
        manifest = release.manifest
        check = f"values:{manifest.key}"
        tally.checked(check)
        schema_file = workdir / f"values-{release.chart_dir.stem}.schema.json"
        if not schema_file.exists():
            schema_file.write_text(json.dumps(package.values_schema), encoding="utf-8")
        merged = merged_values(package.defaults, release.values)
        text = f"{release.chart_dir.stem}\0{json.dumps(merged, sort_keys=True)}"
        identity = values_identity()
        found = kept.issues(text, identity, "") if kept is not None else None
        if found is None or len(found) != 1:
            found = [schema_issues(cache.validator(schema_file), merged)]
            if kept is not None:
                kept.keep_issues(text, identity, "", found)
        report_values(tally, check, manifest, locator, found[0], release.chart)
