"""Layer 5, upstream chart values: HelmRelease values against the chart's own values schema.

Schemas are looked up as <chart>-<version>[.resolved].schema.json in the
chart-values-schemas folder; charts that ship none (cluster-autoscaler,
sealed-secrets, csi-driver-nfs) are not checked. Limitation: helm validates the
MERGED values (chart defaults plus overrides) and the defaults are not here
offline, so only the overrides are checked and "required" errors, which the
defaults would satisfy, are ignored. Unknown keys, wrong types and bad enum or
pattern values are still caught.
"""

from __future__ import annotations

from pathlib import Path

from ..core.charts import chart_spec
from ..core.names import HELM_GROUP
from ..core.schema_errors import Issue, dotted
from .findings import Tally
from .locations import SchemaSources
from .manifests import Locator, Manifest
from .schemas import ValidatorCache, schema_issues
from .tree import Tree

REPOSITORY_SOURCES = frozenset({"HelmRepository", "OCIRepository"})


def values_schema(sources: SchemaSources, chart: str, version: str) -> Path | None:
    if sources.values_dir is None or not chart or not version:
        return None
    for suffix in (".resolved.schema.json", ".schema.json"):
        path = sources.values_dir / f"{chart}-{version}{suffix}"
        if path.is_file():
            return path
    return None


def check_upstream_values(
    tree: Tree, sources: SchemaSources, cache: ValidatorCache, locator: Locator, tally: Tally
) -> None:
    for manifest in tree.objects():
        if not manifest.is_a(HELM_GROUP, "HelmRelease"):
            continue
        chart = chart_spec(manifest.spec)
        source = chart.get("sourceRef")
        if not isinstance(source, dict) or source.get("kind") not in REPOSITORY_SOURCES:
            continue
        name, version = str(chart.get("chart", "")), str(chart.get("version", ""))
        schema = values_schema(sources, name, version)
        if schema is None:
            continue
        check = f"values:{manifest.key}"
        tally.checked(check)
        values = manifest.spec.get("values", {})
        issues = schema_issues(cache.validator(schema), values, ignore_required=True)
        report_values(tally, check, manifest, locator, issues, f"{name} {version}")


def report_values(
    tally: Tally, check: str, manifest: Manifest, locator: Locator, issues: list[Issue], chart: str
) -> None:
    """Each values-schema issue at the line of its field under spec.values."""
    for issue in issues:
        field = ("spec", "values", *issue.field)
        tally.fail(
            check,
            manifest.path,
            locator.line(manifest, field),
            manifest.subject,
            f"{dotted(field)}: {issue.message} (values schema of chart {chart})",
        )
