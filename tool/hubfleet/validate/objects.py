"""Layer 3, object schemas: every object under gitops/ against its Kubernetes or CRD schema.

The Kubernetes version is the cluster's (kubernetesVersion in its cluster.yaml).
Two backends answer behind the ObjectChecker protocol: the kubeconform binary, or
jsonschema in process on the same schema files with the same strictness.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from ..core.schema_errors import Issue
from .findings import Tally
from .locations import kube_version
from .manifests import Locator, Manifest
from .tree import Tree


class ObjectChecker(Protocol):
    """Checks objects against their schemas; one list of issues per object, in order."""

    name: str

    def check(self, manifests: Sequence[Manifest], version: str) -> list[list[Issue]]: ...

    def add_location(self, template: str) -> None: ...


def report_issue(
    tally: Tally,
    check: str,
    manifest: Manifest,
    issue: Issue,
    line: int,
    ignore_missing: bool,
    prefix: str = "",
) -> None:
    """One issue as a finding; a missing schema only warns under --ignore-missing-schemas."""
    message = prefix + (issue.message if issue.missing_schema else str(issue))
    if issue.missing_schema and ignore_missing:
        tally.warn(check, manifest.path, line, manifest.subject, f"not checked: {message}")
    else:
        tally.fail(check, manifest.path, line, manifest.subject, message)


def check_objects(tree: Tree, checker: ObjectChecker, locator: Locator, ignore_missing: bool) -> Tally:
    tally = Tally("objects")
    batches: dict[str, list[Manifest]] = defaultdict(list)
    for file in tree.files:
        if file.role == "eksctl":
            continue
        for line, message in file.stream.problems:
            tally.fail(file.path, file.path, line, "", message)
        if file.role != "objects" or not file.stream.manifests:
            continue
        cluster = tree.clusters.get(file.cluster or "")
        if cluster is None:
            tally.fail(
                file.path,
                file.path,
                0,
                "",
                "belongs to no cluster under clusters/, so no Kubernetes version to check it against "
                "(left over from a deleted cluster?)",
            )
            continue
        batches[kube_version(cluster.kubernetes_version)] += file.stream.manifests
    for version, manifests in sorted(batches.items()):
        for manifest, issues in zip(manifests, checker.check(manifests, version), strict=True):
            tally.checked(manifest.key)
            for issue in issues:
                line = locator.line(manifest, issue.field)
                report_issue(tally, manifest.key, manifest, issue, line, ignore_missing)
    return tally
