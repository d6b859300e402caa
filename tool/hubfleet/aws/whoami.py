"""`aws whoami`: which profile, account and region AWS commands will use, and which clusters they fit.

It replaces the old `source_env` helper: instead of exporting variables and
hoping, a person sees the account the credentials belong to next to the
`accountId` of every cluster before scaling anything.

Named with a cluster, it reports the cluster's region: every command on a cluster
runs there, whatever the AWS config or environment say.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..inputs.pipeline import load_cluster
from ..system.project import Project
from .session import Identity


@dataclass(frozen=True)
class ClusterAccount:
    """A cluster's account and region, or None for both where its input does not load."""

    name: str
    source_file: str
    account_id: str | None
    region: str | None

    def status(self, account: str) -> str:
        if self.account_id is None:
            return "cannot tell: its input does not load (run `hubfleet render`)"
        if self.account_id == account:
            return f"matches ({self.account_id}, {self.region})"
        return f"DIFFERENT account {self.account_id}: aws commands will refuse it"


@dataclass(frozen=True)
class Whoami:
    profile: str
    credentials: str
    identity: Identity
    region: str | None
    region_source: str
    clusters: tuple[ClusterAccount, ...]

    def describe(self) -> list[str]:
        region = f"{self.region} ({self.region_source})" if self.region else "not set: pass --region"
        lines = [
            f"profile:     {self.profile}",
            f"credentials: {self.credentials}",
            f"account:     {self.identity.account}",
            f"arn:         {self.identity.arn}",
            f"region:      {region}",
        ]
        if not self.clusters:
            lines.append("clusters:    none in this project")
        for index, cluster in enumerate(self.clusters):
            label = "clusters:" if index == 0 else ""
            lines.append(f"{label:<12} {cluster.name}: {cluster.status(self.identity.account)}")
        return lines


def cluster_accounts(project: Project, names: list[str]) -> tuple[ClusterAccount, ...]:
    """The accountId and region of each cluster; None where the input does not load."""
    found = []
    for name in names:
        source_file = project.relative(project.cluster_file(name))
        try:
            cluster = load_cluster(project, name)
        except InputError:
            found.append(ClusterAccount(name, source_file, None, None))
            continue
        found.append(ClusterAccount(name, source_file, cluster.account_id, cluster.region))
    return tuple(found)


def pick_region(
    option: str | None, session_region: str | None, cluster: ClusterAccount | None
) -> tuple[str, str]:
    """The region commands use and where it came from: a named cluster's own, else --region, else the session.

    A cluster whose input does not load has no region to give; the others are shown then.
    """
    if cluster is not None and cluster.region:
        return cluster.region, f"region of {cluster.name} in {cluster.source_file}"
    for region, source in ((option, "--region"), (session_region, "AWS config or environment")):
        if region:
            return region, source
    return "", "not set"
