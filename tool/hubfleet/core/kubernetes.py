"""Shared layer: which Kubernetes versions a cluster may run, from a dated table
(`data/eks_versions.json`: EKS's release, end-of-standard and end-of-extended-support dates, and
the versions the pinned eksctl can create).

A version is in standard support until its end date, then in extended support (six times the
control-plane price) until that end date, then over: AWS upgrades such a cluster itself. The
date of "today" is passed in (`hubfleet.system.settings.today`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Literal

from ..errors import UsageError
from .package_data import data_file

#: Fixes "today" to reproduce a run (read by hubfleet.system.settings; named here for messages).
TODAY_ENV = "HUBFLEET_TODAY"

Support = Literal["unreleased", "standard", "extended", "ended", "unknown"]


def kube_version(version: str) -> str:
    """`1.32` -> `1.32.0`, as helm's --kube-version and kubeconform's -kubernetes-version want it."""
    return version if version.count(".") >= 2 else f"{version}.0"


@dataclass(frozen=True)
class EksVersion:
    version: str
    released: date
    end_of_standard: date
    end_of_extended: date


@cache
def eks_versions() -> dict[str, EksVersion]:
    table = data_file("eks_versions.json")["versions"]
    return {
        name: EksVersion(
            name,
            date.fromisoformat(row["released"]),
            date.fromisoformat(row["endOfStandardSupport"]),
            date.fromisoformat(row["endOfExtendedSupport"]),
        )
        for name, row in table.items()
    }


def minor(version: str) -> int:
    """The minor number of `1.NN` (-1 for anything else)."""
    major, _, number = version.partition(".")
    return int(number) if major == "1" and number.isdigit() else -1


def minor_step(version: str, step: int) -> str:
    """The version `step` minors from `version` (1.35, -1 gives 1.34), spelled as the rules want."""
    return f"1.{minor(version) + step}"


def eksctl_range() -> tuple[str, str, str]:
    """The oldest and newest versions the pinned eksctl can create, and its release."""
    eksctl = data_file("eks_versions.json")["eksctl"]
    return str(eksctl["oldest"]), str(eksctl["newest"]), str(eksctl["release"])


def eksctl_knows(version: str) -> bool:
    oldest, newest, _ = eksctl_range()
    return minor(oldest) <= minor(version) <= minor(newest)


def support(version: str, on: date) -> Support:
    found = eks_versions().get(version)
    if found is None:
        return "unknown"
    if on < found.released:
        return "unreleased"
    if on < found.end_of_standard:
        return "standard"
    return "extended" if on < found.end_of_extended else "ended"


def newest_in_standard_support(on: date) -> str:
    """What a new cluster gets: the newest version in standard support that eksctl can create;
    a usage error when the table is so old that it knows none still in standard support."""
    found = [v for v in eks_versions() if eksctl_knows(v) and support(v, on) == "standard"]
    if not found:
        raise UsageError("", stale_table(on))
    return max(found, key=minor)


def stale_table(on: date) -> str:
    return (
        f"hubfleet's EKS version table (data/eks_versions.json, checked {table_checked()}) knows no version "
        f"eksctl can create that is in standard support on {on}: use a newer hubfleet, or set {TODAY_ENV}"
    )


def _towards(version: str, on: date) -> str:
    """Where to upgrade to, worded; never the version itself."""
    found = [v for v in eks_versions() if eksctl_knows(v) and support(v, on) == "standard"]
    newest = max(found, key=minor) if found else None
    if newest is None or minor(newest) <= minor(version):
        return f"a newer version than this hubfleet knows ({stale_table(on)})"
    return newest


def table_checked() -> str:
    return str(data_file("eks_versions.json")["checked"])


def control_plane_per_hour(version: str, on: date) -> float:
    """What EKS charges for the cluster's control plane an hour, by the version's support."""
    prices = data_file("prices.json")
    extended = support(version, on) == "extended"
    return float(prices["eksControlPlaneExtendedPerHour" if extended else "eksControlPlanePerHour"])


def version_problem(version: str, on: date) -> str | None:
    """Why a cluster cannot run `version` (the rules refuse it), or None."""
    oldest, newest, release = eksctl_range()
    if not eksctl_knows(version):
        return f"'{version}' is not a version eksctl {release} can create ({oldest} to {newest})"
    found = eks_versions().get(version)
    if found is None:
        return f"'{version}' is not in hubfleet's EKS version table (checked {table_checked()})"
    if support(version, on) == "unreleased":
        return f"'{version}' is not released on EKS until {found.released}"
    if support(version, on) == "ended":
        return (
            f"EKS extended support for {version} ended on {found.end_of_extended}; AWS upgrades such a cluster "
            f"itself. Upgrade one minor version at a time towards {_towards(version, on)} "
            "(`hubfleet upgrade plan`)"
        )
    return None


def extended_support_warning(version: str, on: date) -> str | None:
    """The warning for a version in extended support: until when, and what it costs."""
    if support(version, on) != "extended":
        return None
    found = eks_versions()[version]
    prices = data_file("prices.json")
    standard, extended = (
        float(prices["eksControlPlanePerHour"]),
        float(prices["eksControlPlaneExtendedPerHour"]),
    )
    more = (extended - standard) * int(prices["hoursPerMonth"])
    return (
        f"Kubernetes {version} left EKS standard support on {found.end_of_standard} and is in extended support "
        f"until {found.end_of_extended}: the control plane costs ${extended:.2f} an hour instead of "
        f"${standard:.2f} (${more:,.2f} more a month), and AWS upgrades the cluster itself when extended support "
        f"ends; upgrade towards {_towards(version, on)}, one minor version at a time (`hubfleet upgrade "
        "plan`)"
    )
