"""Layer 4, eksctl: each gitops/eksctl/<cluster>.yaml against eksctl's ClusterConfig schema.

The file is outside every Flux path (a person runs `eksctl create cluster -f`),
so it is checked here, not with the Kubernetes objects.
"""

from __future__ import annotations

from pathlib import Path

from .findings import Tally
from .locations import SchemaSources
from .manifests import Locator
from .schemas import ValidatorCache, schema_issues
from .tree import Tree

EKSCTL_GROUP = "eksctl.io"


def eksctl_schema(sources: SchemaSources, api_version: str) -> Path | None:
    version = api_version.rpartition("/")[2]
    if sources.eksctl_dir is None:
        return None
    path = sources.eksctl_dir / f"clusterconfig-{version}.schema.json"
    return path if path.is_file() else None


def check_eksctl(tree: Tree, sources: SchemaSources, cache: ValidatorCache, locator: Locator) -> Tally:
    tally = Tally("eksctl")
    for file in tree.files:
        if file.role != "eksctl":
            continue
        tally.checked(file.path)
        for line, message in file.stream.problems:
            tally.fail(file.path, file.path, line, "", message)
        if len(file.stream.manifests) != 1 and not file.stream.problems:
            tally.fail(
                file.path, file.path, 0, "", f"expected one ClusterConfig, found {len(file.stream.manifests)}"
            )
        for manifest in file.stream.manifests:
            if manifest.group != EKSCTL_GROUP or manifest.kind != "ClusterConfig":
                tally.fail(
                    file.path,
                    file.path,
                    manifest.line,
                    manifest.subject,
                    "expected an eksctl.io ClusterConfig",
                )
                continue
            schema = eksctl_schema(sources, manifest.api_version)
            if schema is None:
                tally.fail(
                    file.path,
                    file.path,
                    locator.line(manifest, ("apiVersion",)),
                    manifest.subject,
                    f"no eksctl schema for {manifest.api_version}: hubfleet ships clusterconfig-v1alpha5; "
                    "for another version give --schema-location a folder with "
                    "eksctl/clusterconfig-<version>.schema.json",
                )
                continue
            for issue in schema_issues(cache.validator(schema), manifest.data):
                tally.fail(
                    file.path, file.path, locator.line(manifest, issue.field), manifest.subject, str(issue)
                )
    return tally
