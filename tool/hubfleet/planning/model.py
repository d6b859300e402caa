"""What a plan found, as data: the pure result `changes.py` computes and `report.py` lays out."""

from __future__ import annotations

from dataclasses import dataclass, field

from .objects import ObjectChange
from .risks import Risk


@dataclass
class ClusterChanges:
    name: str
    objects: list[ObjectChange]
    #: HelmReleases Flux will install or upgrade, a line each.
    upgrades: list[str]
    hubs: list[str]

    def count(self, change: str) -> int:
        return sum(1 for c in self.objects if c.change == change)


@dataclass
class ChangePlan:
    base: str
    head: str
    clusters: list[ClusterChanges]
    risks: list[Risk]
    notes: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> list[Risk]:
        return [risk for risk in self.risks if risk.severity == "error"]
