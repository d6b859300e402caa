"""Golden trees: each tests/fixtures/<case>/ holds input clusters/ and the expected/ gitops tree they render to.

The render is compared with expected/ file by file, byte for byte. When a change to the output is
intended, regenerate and review (tests/fixtures/README.md):

    make golden            # HUBFLEET_REGENERATE_GOLDEN=1 pytest tests/golden/test_golden.py, then git diff --stat
    git diff tests/fixtures

A regenerating run rewrites expected/ and then fails on purpose, so it can never pass unreviewed.
"""

from __future__ import annotations

import difflib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from hubfleet.cli import main
from hubfleet.core.layout import STATE_DIR
from hubfleet.core.package_data import shipped_charts
from support.builders import DELETE, apply_changes, make_cluster, make_hub

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REGENERATE = "HUBFLEET_REGENERATE_GOLDEN"
SHOWN_DIFFS = 3
DIFF_LINES = 80


def golden_cases() -> list[str]:
    """Fixture folders holding expected/ (or clusters/ only: a new case, still to be generated)."""
    return sorted(
        case.name
        for case in FIXTURES.iterdir()
        if case.is_dir() and ((case / "expected").is_dir() or (case / "clusters").is_dir())
    )


def tree_files(root: Path) -> dict[str, bytes]:
    """Every file under root by its relative POSIX path."""
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and STATE_DIR not in path.relative_to(root).parts
    }


def cluster_files(tree: dict[str, bytes]) -> dict[str, bytes]:
    """A rendered tree without the charts hubfleet ships (the same in every case: see
    test_every_render_writes_the_charts_hubfleet_ships)."""
    return {path: data for path, data in tree.items() if not path.startswith("charts/")}


def render_case(case: Path, tmp_path: Path) -> Path:
    """Render the case's inputs (a fleet of its own: no charts/ beside them) into
    <project>/gitops; return that folder."""
    root = tmp_path / "project"
    shutil.copytree(case / "clusters", root / "clusters")
    # The default output folder, so the Flux Kustomization paths read ./gitops/... as in the real repo.
    result = CliRunner().invoke(main, ["--root", str(root), "render", "--all"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "gitops"


def _text(data: bytes) -> list[str]:
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


@dataclass(frozen=True)
class TreeDiff:
    """How `actual` differs from `expected`, two trees given as {relative path: bytes}."""

    expected: dict[str, bytes]
    actual: dict[str, bytes]
    expected_name: str
    actual_name: str = "rendered"

    @property
    def missing(self) -> list[str]:
        return sorted(self.expected.keys() - self.actual.keys())

    @property
    def extra(self) -> list[str]:
        return sorted(self.actual.keys() - self.expected.keys())

    @property
    def changed(self) -> list[str]:
        both = self.expected.keys() & self.actual.keys()
        return sorted(path for path in both if self.expected[path] != self.actual[path])

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra or self.changed)

    def counts(self) -> str:
        return f"{len(self.changed)} changed, {len(self.extra)} added, {len(self.missing)} removed"

    def listing(self, limit: int | None = None) -> list[str]:
        """One line per differing path, the first `limit` of them."""
        lines = [f"  only in {self.expected_name}: {path}" for path in self.missing]
        lines += [f"  only in {self.actual_name}: {path}" for path in self.extra]
        lines += [f"  differs: {path}" for path in self.changed]
        if limit is not None and len(lines) > limit:
            lines = [*lines[:limit], f"  ... and {len(lines) - limit} more"]
        return lines

    def diff(self, path: str) -> str:
        lines = list(
            difflib.unified_diff(
                _text(self.expected[path]),
                _text(self.actual[path]),
                f"{self.expected_name}/{path}",
                f"{self.actual_name}/{path}",
            )
        )
        if len(lines) > DIFF_LINES:
            lines = [*lines[:DIFF_LINES], f"... {len(lines) - DIFF_LINES} more diff lines\n"]
        return "".join(lines).rstrip("\n")

    def report(self) -> str:
        """The differing files, then a unified diff of the first few that changed."""
        changed = self.changed
        parts = [f"{self.actual_name} differs from {self.expected_name} ({self.counts()}):", *self.listing()]
        parts += [f"\n{self.diff(path)}" for path in changed[:SHOWN_DIFFS]]
        if len(changed) > SHOWN_DIFFS:
            parts.append(f"\n(diffs of {len(changed) - SHOWN_DIFFS} more changed files not shown)")
        return "\n".join(parts)


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    """Make root hold exactly `files`: stale files and folders go."""
    if root.exists():
        shutil.rmtree(root)
    for relative, data in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


@pytest.mark.parametrize("case", golden_cases())
def test_golden_tree(case: str, tmp_path: Path) -> None:
    folder = FIXTURES / case
    expected_dir = folder / "expected"
    rendered = cluster_files(tree_files(render_case(folder, tmp_path)))
    assert rendered, f"rendering {case} wrote no files"
    difference = TreeDiff(tree_files(expected_dir), rendered, f"tests/fixtures/{case}/expected")

    if os.environ.get(REGENERATE) == "1":
        write_tree(expected_dir, rendered)
        changes = "\n".join(difference.listing(limit=20)) if difference else "  (no change)"
        pytest.fail(
            f"{REGENERATE}=1: regenerated {difference.expected_name} from the render "
            f"({len(rendered)} files; {difference.counts()}):\n{changes}\n"
            "This run fails on purpose: review the change like code with `git diff tests/fixtures` "
            f"(`git status tests/fixtures` shows new files), then run the tests without {REGENERATE}.",
            pytrace=False,
        )
    if not expected_dir.is_dir():
        pytest.fail(f"{difference.expected_name} does not exist yet: run `make golden` and review the files")
    if difference:
        pytest.fail(
            f"{difference.report()}\n\nIf the change is intended: `make golden`, then review "
            "`git diff tests/fixtures`.",
            pytrace=False,
        )


def test_every_render_writes_the_charts_hubfleet_ships(tmp_path: Path) -> None:
    """gitops/charts/ holds each shipped chart byte for byte, its Chart.yaml under the header that
    makes the folder hubfleet's; the committed example's is the same."""
    rendered = tree_files(render_case(FIXTURES / "retired-hub", tmp_path))
    charts = {
        path.removeprefix("charts/"): data for path, data in rendered.items() if path.startswith("charts/")
    }
    shipped = shipped_charts()
    assert sorted(charts) == sorted(shipped)
    header = (
        b"# Generated by hubfleet from the charts hubfleet ships. Do not edit: every render rewrites it.\n"
    )
    assert charts["nfs-drive/Chart.yaml"] == header + shipped["nfs-drive/Chart.yaml"]
    assert {p: d for p, d in charts.items() if p != "nfs-drive/Chart.yaml"} == {
        p: d for p, d in shipped.items() if p != "nfs-drive/Chart.yaml"
    }
    assert sorted(shipped) == sorted(
        p.relative_to(REPO / "charts").as_posix()
        for p in (REPO / "charts").rglob("*")
        if p.is_file() and p.name != "__init__.py" and "__pycache__" not in p.parts
    )
    committed = {p.removeprefix("charts/"): d for p, d in tree_files(REPO / "gitops" / "charts").items()}
    assert committed == charts


def test_the_golden_cases_are_all_there() -> None:
    assert {"example", "extra-user-groups", "retired-hub", "auth-types"} <= set(golden_cases())
    assert "validate" not in golden_cases()


# The example case is the shipped example: it may not drift from clusters/clusterA or gitops/. ----------


EXAMPLE = FIXTURES / "example"


def test_example_inputs_are_the_shipped_example() -> None:
    """cluster.yaml, hubs/*.yaml and secrets/ of the example case equal clusters/clusterA (no *.pem)."""
    shipped = {
        path: data
        for path, data in tree_files(REPO / "clusters" / "clusterA").items()
        if not path.endswith(".pem")
    }
    assert "cluster.yaml" in shipped
    assert any(path.startswith("hubs/") for path in shipped)
    case = tree_files(EXAMPLE / "clusters" / "clusterA")
    assert [path for path in case if path.endswith(".pem")] == [], "the example case must hold no keys"
    difference = TreeDiff(shipped, case, "clusters/clusterA", "tests/fixtures/example/clusters/clusterA")
    assert not difference, (
        f"{difference.report()}\n\nThe example case must be a copy of clusters/clusterA without *.pem: "
        "copy the files over, then `make golden`."
    )
    assert sorted(path.name for path in (EXAMPLE / "clusters").iterdir()) == ["clusterA"]


def committed_cluster_tree(gitops: Path, cluster: str) -> dict[str, bytes]:
    """The files of the committed gitops/ that a render of `cluster` owns (not flux-system/)."""
    owned = {
        f"clusters/{cluster}/{path}": data
        for path, data in tree_files(gitops / "clusters" / cluster).items()
        if not path.startswith("flux-system/")
    }
    for folder in ("infrastructure", "hubs"):
        owned |= {f"{folder}/{cluster}/{p}": d for p, d in tree_files(gitops / folder / cluster).items()}
    eksctl = gitops / "eksctl" / f"{cluster}.yaml"
    if eksctl.is_file():
        owned[f"eksctl/{cluster}.yaml"] = eksctl.read_bytes()
    return owned


def test_example_expected_is_the_committed_gitops() -> None:
    committed = committed_cluster_tree(REPO / "gitops", "clusterA")
    assert committed, "gitops/ holds no clusterA files"
    difference = TreeDiff(
        committed, tree_files(EXAMPLE / "expected"), "gitops", "tests/fixtures/example/expected"
    )
    assert not difference, (
        f"{difference.report()}\n\nThe golden example and the committed gitops/ must agree: "
        "`hubfleet render clusterA` and `make golden`, then review both."
    )


# The builder. ----------------------------------------------------------------------------------------


def _load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def test_apply_changes_paths_merges_and_deletes() -> None:
    data: dict[str, Any] = {"a": {"b": 1, "c": [{"x": 1}, {"x": 2}]}, "keep": True}
    apply_changes(data, {"a.b": DELETE, "a__c__1__x": 3, "a": {"d": {"e": 4}}, "new.deep": 5})
    assert data == {"a": {"c": [{"x": 1}, {"x": 3}], "d": {"e": 4}}, "keep": True, "new": {"deep": 5}}


def test_builder_writes_a_project_that_renders(tmp_path: Path) -> None:
    dotted: dict[str, Any] = {
        "flux.branch": DELETE,
        "nodeGroups.extraUser": [{"name": "user-big", "instanceType": "m6i.xlarge", "maxSize": 2}],
    }
    root = make_cluster(
        tmp_path,
        hubs={"course": {"user.placeholders": 1}, "old": {"state": "retired", "auth": {"admins": ["prof"]}}},
        nodeGroups__core__maxSize=3,
        **dotted,
    )
    make_hub(
        root,
        "clusterA",
        "demo",
        auth__admins=DELETE,
        auth__type="dummy",
        auth__insecure=True,
        auth__allowed__users=["demo"],
    )
    cluster = _load(root / "clusters" / "clusterA" / "cluster.yaml")
    assert cluster["nodeGroups"]["core"]["maxSize"] == 3
    assert "branch" not in cluster["flux"]
    assert _load(root / "clusters" / "clusterA" / "hubs" / "old.yaml")["auth"] == {
        "type": "native",
        "admins": ["prof"],
    }
    assert _load(root / "clusters" / "clusterA" / "hubs" / "demo.yaml")["auth"] == {
        "type": "dummy",
        "insecure": True,
        "allowed": {"users": ["demo"]},
    }

    gitops = render_case(root, tmp_path / "render")
    hubs = sorted(path.name for path in (gitops / "hubs" / "clusterA").iterdir() if path.is_dir())
    assert hubs == ["course", "demo", "old"]
    assert not (gitops / "hubs" / "clusterA" / "old" / "jupyterhub.yaml").exists()
    assert "user-big" in (gitops / "eksctl" / "clusterA.yaml").read_text()


def test_builder_adds_a_second_cluster_to_the_same_project(tmp_path: Path) -> None:
    root = make_cluster(tmp_path)
    assert (
        make_cluster(
            tmp_path,
            "clusterB",
            region="eu-west-1",
            zones=["eu-west-1a", "eu-west-1b"],
            coreZone="eu-west-1a",
        )
        == root
    )
    with pytest.raises(FileExistsError):
        make_cluster(tmp_path, "clusterB")
    gitops = render_case(root, tmp_path / "render")
    assert sorted(path.name for path in (gitops / "eksctl").iterdir()) == ["clusterA.yaml", "clusterB.yaml"]
