"""Layer 3, object schemas: every object under gitops/ against its Kubernetes or CRD schema.

The Kubernetes version is the cluster's (kubernetesVersion in its cluster.yaml).
Two backends answer behind the ObjectChecker protocol: the kubeconform binary, or
jsonschema in process on the same schema files with the same strictness.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from ..core.kubernetes import kube_version
from ..core.schema_errors import Issue
from .findings import Tally
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


class Verdicts(Protocol):
    """Schema issues kept between runs (expansions.ExpansionCache), by text, checker and version."""

    def issues(self, text: str, identity: str, version: str) -> list[list[Issue]] | None: ...

    def keep_issues(self, text: str, identity: str, version: str, found: list[list[Issue]]) -> None: ...


def _verdicts(
    checker: ObjectChecker, manifests: list[Manifest], version: str, kept: tuple[Verdicts, str] | None
) -> list[list[Issue]]:
    """checker.check, answered per file from `kept` where the same objects were checked before."""
    if kept is None:
        return checker.check(manifests, version)
    cache, identity = kept
    by_file: dict[str, list[int]] = defaultdict(list)
    for index, manifest in enumerate(manifests):
        by_file[manifest.path].append(index)
    texts = {
        path: json.dumps([manifests[i].data for i in found], sort_keys=True)
        for path, found in by_file.items()
    }
    results: list[list[Issue] | None] = [None] * len(manifests)
    todo: list[str] = []
    for path, found in by_file.items():
        verdict = cache.issues(texts[path], identity, version)
        if verdict is None or len(verdict) != len(found):
            todo.append(path)
            continue
        for index, issues in zip(found, verdict, strict=True):
            results[index] = issues
    batch = [manifests[i] for path in todo for i in by_file[path]]
    checked = iter(checker.check(batch, version)) if batch else iter([])
    for path in todo:
        issues_of = [next(checked) for _ in by_file[path]]
        cache.keep_issues(texts[path], identity, version, issues_of)
        for index, issues in zip(by_file[path], issues_of, strict=True):
            results[index] = issues
    return [issues or [] for issues in results]


def check_objects(
    tree: Tree,
    checker: ObjectChecker,
    locator: Locator,
    ignore_missing: bool,
    verdicts: tuple[Verdicts, str] | None = None,
) -> Tally:
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
        for manifest, issues in zip(manifests, _verdicts(checker, manifests, version, verdicts), strict=True):
            tally.checked(manifest.key)
            for issue in issues:
                line = locator.line(manifest, issue.field)
                report_issue(tally, manifest.key, manifest, issue, line, ignore_missing)
    return tally
