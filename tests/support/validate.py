"""Builders shared by the validate tests (no tests here): a copy of the example, freshly rendered,
and `hubfleet validate` run on it with the schemas hubfleet installs, the loopback chart mirror
(chart_mirror.py) and the pinned helm and kubectl.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from conftest import load_docs, manifest_files, require, upstream_path
from hubfleet.cli import main
from hubfleet.inputs.pipeline import Scope
from hubfleet.system.project import Project
from hubfleet.write.pipeline import render_project
from support.chart_mirror import chart_environment

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "validate"
TOOLS = REPO / ".tools" / "bin"
EXAMPLE_PARTS = ("clusters", "gitops")
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(, \d+ warnings?)?( \(skipped: .*\))?$")


def schema_location() -> Path:
    """HUBFLEET_SCHEMA_LOCATION, else the reference folder (HUBFLEET_UPSTREAM)."""
    given = os.environ.get("HUBFLEET_SCHEMA_LOCATION")
    return Path(given).resolve() if given else upstream_path().resolve()


def require_schemas() -> None:
    """Skip without the upstream schemas; in CI (CI=true) fail instead."""
    require(
        (schema_location() / "k8s-schemas").is_dir(),
        f"upstream schemas not found at {schema_location()} (set HUBFLEET_SCHEMA_LOCATION)",
    )


def require_environment() -> None:
    """Skip without a chart source, helm or kubectl; in CI (CI=true) fail instead."""
    chart_environment()
    for tool in ("helm", "kubectl"):
        require(
            (TOOLS / tool).is_file() or shutil.which(tool) is not None, f"{tool} not found; run `make tools`"
        )


def copy_example(target: Path, render: bool = True) -> Path:
    """The example fleet (inputs, locks, rendered tree) under `target`, re-rendered by this code."""
    target.mkdir(parents=True, exist_ok=True)
    for part in EXAMPLE_PARTS:
        shutil.copytree(REPO / part, target / part)
    shutil.copy(REPO / "charts.lock", target / "charts.lock")
    shutil.copy(REPO / "images.lock", target / "images.lock")
    if render:
        render_project(Project(target), Scope.select(Project(target), (), True))
    return target


def run_validate(root: Path, *args: str) -> Result:
    """`hubfleet --root ROOT validate ARGS` as a user would run it: the schemas hubfleet installs,
    charts from the loopback mirror, the pinned helm and kubectl."""
    env = {
        **chart_environment(),
        "HUBFLEET_SCHEMA_LOCATION": None,
        "PATH": f"{TOOLS}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return CliRunner().invoke(
        main, ["--root", str(root), "validate", "--backend", "jsonschema", *args], env=env
    )


#: The example's images.lock is unresolved (no registry answers here), which validate says in one
#: warning per cluster; `test_the_committed_example_passes` pins it, and `findings` leaves it out.
UNRESOLVED_IMAGES = re.compile(r"^images\.lock: warning: \d+ of the \d+ images \w+ runs have no digest yet ")


def findings(result: Result, unresolved: bool = False) -> list[str]:
    """The finding lines of a text report (everything but the summary line); the example lock's
    unresolved warning only when `unresolved` asks for it."""
    lines = result.stdout.splitlines()
    assert lines and SUMMARY.match(lines[-1]), result.output
    return [line for line in lines[:-1] if unresolved or not UNRESOLVED_IMAGES.match(line)]


def summary(result: Result) -> tuple[int, int]:
    match = SUMMARY.match(result.stdout.splitlines()[-1])
    assert match, result.output
    return int(match.group(1)), int(match.group(2))


def line_of(path: Path, needle: str, occurrence: int = 1, exact: bool = False) -> int:
    """1-based line of the n-th line of `path` containing `needle` (being it, with `exact`)."""
    lines = enumerate(path.read_text().splitlines(), start=1)
    hits = [n for n, text in lines if (text == needle if exact else needle in text)]
    assert len(hits) >= occurrence, f"{needle!r} not in {path}"
    return hits[occurrence - 1]


def object_file(root: Path, kind: str, name: str) -> Path:
    """The file under root/gitops/ that holds object `kind`/`name`, wherever the layout puts it."""
    found = [
        path
        for path in manifest_files(root / "gitops")
        for doc in load_docs(path)
        if doc.get("kind") == kind and doc.get("metadata", {}).get("name") == name
    ]
    assert len(found) == 1, f"{kind}/{name} is in {len(found)} files under {root / 'gitops'}"
    return found[0]


def in_gitops(root: Path, path: Path) -> str:
    """`path` relative to root/gitops/, as findings and `stale` name it after `gitops/`."""
    return path.relative_to(root / "gitops").as_posix()


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert text.count(old) >= count, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


def stale(relative: str) -> str:
    """The freshness finding for a gitops file edited by hand."""
    return (
        f"gitops/{relative}:1: stale: differs from what the inputs render; run `hubfleet render` and commit"
    )
