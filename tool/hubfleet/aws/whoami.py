"""`aws whoami`: which profile, account and region AWS commands will use, and which clusters they fit.

It replaces the old `source_env` helper: instead of exporting variables and
hoping, a person sees the account the credentials belong to next to the
`accountId` of every cluster before scaling anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..inputs import load_cluster
from ..project import Project
from .session import Identity


@dataclass(frozen=True)
class ClusterAccount:
    name: str
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
        try:
            cluster = load_cluster(project, name)
        except InputError:
            found.append(ClusterAccount(name, None, None))
            continue
        found.append(ClusterAccount(name, cluster.account_id, cluster.region))
    return tuple(found)


def pick_region(
    option: str | None, session_region: str | None, cluster_region: str | None
) -> tuple[str, str]:
    """The region commands use and where it came from: --region, then the session, then the cluster."""
    for region, source in (
        (option, "--region"),
        (session_region, "AWS config or environment"),
        (cluster_region, "the cluster's region"),
    ):
        if region:
            return region, source
    return "", "not set"
