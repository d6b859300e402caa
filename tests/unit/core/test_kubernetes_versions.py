"""The Kubernetes version policy (data/eks_versions.json): versions eksctl cannot create or past
EKS extended support are refused, extended support is a warning with its end date and cost, and
new clusters get the newest version in standard support."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conftest import REPO
from hubfleet.core.kubernetes import (
    eks_versions,
    newest_in_standard_support,
    support,
    version_problem,
)
from hubfleet.inputs.pipeline import Scope, load_project
from hubfleet.planning.capacity import plan_cluster
from hubfleet.system.project import Project
from hubfleet.system.settings import TODAY_ENV
from support.builders import make_cluster, position_of

CLUSTER = "clusters/clusterA/cluster.yaml"


def render_with(tmp_path: Path, run: Callable[..., Result], version: str, on: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Result]:  # fmt: skip
    monkeypatch.setenv(TODAY_ENV, on)
    root = make_cluster(tmp_path, hubs={"course": {}}, kubernetesVersion=version)
    return root, run(root, "render", "clusterA")


def test_the_table_is_dated_and_consistent() -> None:
    table = json.loads((REPO / "tool/hubfleet/data/eks_versions.json").read_text())
    assert table["checked"] == "2026-12-02" and table["eksctl"] == {
        "release": "v0.230.0",
        "oldest": "1.30",
        "newest": "1.35",
    }
    for found in eks_versions().values():
        # EKS: 14 months of standard support, then 12 of extended.
        assert found.released < found.end_of_standard < found.end_of_extended
        assert (found.end_of_extended - found.end_of_standard).days in range(365, 367)


@pytest.mark.parametrize(
    ("version", "on", "expected"),
    [
        ("1.32", "2026-03-22", "standard"),
        ("1.32", "2026-03-23", "extended"),
        ("1.32", "2027-03-23", "ended"),
        ("1.34", "2026-12-01", "standard"),
        ("1.34", "2026-12-02", "extended"),
        ("1.35", "2026-01-26", "unreleased"),
        ("1.36", "2026-12-02", "unknown"),
    ],
)
def test_support_by_date(version: str, on: str, expected: str) -> None:
    from datetime import date

    assert support(version, date.fromisoformat(on)) == expected


def test_a_version_past_extended_support_is_refused(
    tmp_path: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, result = render_with(tmp_path, run, "1.31", "2026-12-02", monkeypatch)
    line, column = position_of(root / CLUSTER, "kubernetesVersion")
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == (
        f"{CLUSTER}:{line}:{column}: kubernetesVersion: EKS extended support for 1.31 ended on 2026-11-26; AWS "
        "upgrades such a cluster itself. Upgrade one minor version at a time towards 1.35 (`hubfleet upgrade plan`)"
    )


def test_a_version_eksctl_cannot_create_is_refused(
    tmp_path: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, result = render_with(tmp_path, run, "1.36", "2026-12-02", monkeypatch)
    line, column = position_of(root / CLUSTER, "kubernetesVersion")
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == (
        f"{CLUSTER}:{line}:{column}: kubernetesVersion: '1.36' is not a version eksctl v0.230.0 can create "
        "(1.30 to 1.35)"
    )


def test_extended_support_is_a_warning_with_its_end_and_its_cost(
    tmp_path: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, result = render_with(tmp_path, run, "1.34", "2026-12-02", monkeypatch)
    assert result.exit_code == 0, result.output
    skipped = [arg for layer in ("objects", "eksctl", "charts", "flux") for arg in ("--skip", layer)]
    validated = run(root, "validate", *skipped)
    assert (
        f"{CLUSTER}: warning: kubernetesVersion: Kubernetes 1.34 left EKS standard support on 2026-12-02 and is in "
        "extended support until 2027-12-02: the control plane costs $0.60 an hour instead of $0.10 ($365.00 more a "
        "month), and AWS upgrades the cluster itself when extended support ends; upgrade towards 1.35, one minor "
        "version at a time (`hubfleet upgrade plan`)"
    ) in validated.output.splitlines()
    [cluster] = load_project(Project(root), Scope(("clusterA",), False))
    assert plan_cluster(cluster).control_plane_cost == round(0.6 * 730, 2)


def test_new_clusters_get_the_newest_version_in_standard_support(
    tmp_path: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    assert newest_in_standard_support(date(2026, 12, 2)) == "1.35"
    assert newest_in_standard_support(date(2025, 12, 1)) == "1.34"  # before 1.35 was released
    monkeypatch.setenv(TODAY_ENV, "2026-12-02")
    root = tmp_path / "project"
    (root / "clusters").mkdir(parents=True)
    result = run(root, "new", "cluster", "uni", "--region", "us-west-2", "--domain", "hubs.uni.edu",
                 "--account-id", "111122223333", "--zone-id", "Z0EXAMPLE1", "--acme-email", "ops@example.edu")  # fmt: skip
    assert result.exit_code == 0, result.output
    text = (root / "clusters/uni/cluster.yaml").read_text()
    assert (
        'kubernetesVersion: "1.35"    # the newest EKS version in standard support that eksctl can create'
        in text
    )


def test_the_example_runs_a_version_in_standard_support() -> None:
    from datetime import date

    text = (REPO / "clusters/clusterA/cluster.yaml").read_text()
    assert 'kubernetesVersion: "1.35"' in text
    assert support("1.35", date(2026, 12, 2)) == "standard"
    assert version_problem("1.35", date(2026, 12, 2)) is None


def test_a_bad_date_in_the_environment_is_a_usage_error(
    tmp_path: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, result = render_with(tmp_path, run, "1.35", "2026-13-01", monkeypatch)
    assert result.exit_code == 2
    assert (
        result.output.strip()
        == "HUBFLEET_TODAY: '2026-13-01' is not a date; give one as YYYY-MM-DD, or unset it"
    )


def test_a_stale_table_says_so_instead_of_advising_the_same_version() -> None:
    from datetime import date

    from hubfleet.core.kubernetes import extended_support_warning
    from hubfleet.errors import UsageError

    later = date(2027, 4, 1)  # 1.35 is in extended support, and the table knows nothing newer
    warning = extended_support_warning("1.35", later)
    assert warning is not None and "upgrade towards a newer version than this hubfleet knows" in warning
    with pytest.raises(UsageError) as raised:
        newest_in_standard_support(later)
    assert str(raised.value) == (
        "hubfleet's EKS version table (data/eks_versions.json, checked 2026-12-02) knows no version eksctl can "
        "create that is in standard support on 2027-04-01: use a newer hubfleet, or set HUBFLEET_TODAY"
    )


@pytest.mark.parametrize(
    ("retiring", "accepted"), [("1.34", True), ("unversioned", True), ("1.33", False), ("1.35", False)]
)
def test_the_retiring_generation_is_the_previous_minor_or_unversioned(
    tmp_path: Path, run: Callable[..., Result], retiring: str, accepted: bool
) -> None:
    root = make_cluster(tmp_path, **{"nodeGroups.retiring": retiring})
    result = run(root, "render", "clusterA")
    if accepted:
        assert result.exit_code == 0, result.output
        return
    line, column = position_of(root / CLUSTER, "nodeGroups.retiring")
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == (
        f"{CLUSTER}:{line}:{column}: nodeGroups.retiring: '{retiring}' is not the generation before "
        "kubernetesVersion 1.35: name the version the old node groups were made for (1.34), or unversioned for "
        "groups made before hubfleet named generations"
    )


def test_an_extra_group_may_not_end_like_a_generation(tmp_path: Path, run: Callable[..., Result]) -> None:
    extra = [{"name": "big-v1-30", "instanceType": "t3a.xlarge", "maxSize": 2}]
    root = make_cluster(tmp_path, **{"nodeGroups.extraUser": extra})
    result = run(root, "render", "clusterA")
    line, column = position_of(root / CLUSTER, "nodeGroups.extraUser[0].name")
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == (
        f"{CLUSTER}:{line}:{column}: nodeGroups.extraUser[0].name: 'big-v1-30' ends like a generation (-v1-NN), "
        "which hubfleet adds to every node group's eksctl name itself; choose another name"
    )
