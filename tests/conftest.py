"""Shared fixtures: the real project, temporary projects built from it, and upstream schemas."""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from jsonschema import Draft7Validator, validators
from ruamel.yaml import YAML

from hubfleet.cli import main
from hubfleet.core.layout import STATE_DIR
from hubfleet.validate.crds import crd_schemas

REPO = Path(__file__).resolve().parents[1]
#: The reference folder: independent copies of the upstream schemas, data and charts (a Helm
#: repository in charts/). Only HUBFLEET_UPSTREAM gives it (.ci/run points it at the copy beside
#: the checkout); without it, the tests that compare with it skip, and fail under CI.
UPSTREAM_ENV = "HUBFLEET_UPSTREAM"
HELM = REPO / ".tools" / "bin" / "helm"
# Compiling the Grafana dashboards takes half a minute; every test process (and `make validate`
# in CI) shares one cache, keyed by what was compiled, so it happens once.
os.environ.setdefault("HUBFLEET_DASHBOARD_CACHE", str(REPO / "build" / "dashboard-cache"))
# The version policy depends on the date (core/kubernetes.py); the tests run on a fixed one.
os.environ.setdefault("HUBFLEET_TODAY", "2026-12-02")
KUBECTL = REPO / ".tools" / "bin" / "kubectl"


def require(available: bool, reason: str) -> None:
    """Skip when a tool or schema folder is missing, except in CI (CI=true): there it must be present."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run every test)")
    pytest.skip(reason)


def upstream_path(*parts: str) -> Path:
    """`parts` inside the reference folder; skips (fails under CI) when HUBFLEET_UPSTREAM is not
    set or lacks it."""
    given = os.environ.get(UPSTREAM_ENV)
    require(
        bool(given), f"the reference folder is not given: set {UPSTREAM_ENV} (upstream schemas, data, charts)"
    )
    path = Path(str(given)).joinpath(*parts)
    require(path.exists(), f"{path} is missing (set {UPSTREAM_ENV} to the reference folder)")
    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Skipped tests are said loudly, in one line with why and what to set, even under -q: a
    green run that did not run everything must not look like one that did. (Under CI a missing
    tool or source fails instead: `require`.)"""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons: dict[str, int] = {}
    for report in skipped:
        longrepr = report.longrepr
        reason = str(longrepr[2] if isinstance(longrepr, tuple) else longrepr).removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    listed = "; ".join(f"{count} x {reason}" for reason, count in sorted(reasons.items()))
    terminalreporter.write_line(f"{len(skipped)} tests did not run: {listed}", yellow=True, bold=True)


def manifest_files(gitops: Path) -> list[Path]:
    """Every YAML file of a rendered tree that holds objects: not the shipped charts' templates."""
    return [p for p in sorted(gitops.rglob("*.yaml")) if "charts" not in p.relative_to(gitops).parts[:1]]


def load_docs(path: Path) -> list[Any]:
    return [doc for doc in YAML(typ="safe").load_all(path.read_text()) if doc is not None]


@cache
def _validator(path: Path) -> Any:
    schema = json.loads(path.read_text())
    cls = validators.validator_for(schema, default=Draft7Validator)
    return cls(schema)


CALICO_CRD_CHART = "crd.projectcalico.org.v1-v3.32.1.tgz"


@cache
def calico_schemas() -> dict[tuple[str, str, str], dict[str, Any]]:
    """(group, kind, version) -> strict schema of every Calico kind, from the CRDs of the reference
    folder's Calico CRD chart (the reference has no converted copies of them)."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    with tarfile.open(upstream_path("charts", CALICO_CRD_CHART)) as package:
        for member in package.getmembers():
            if member.name.endswith(".yaml") and "/templates/" in member.name:
                stream = package.extractfile(member)
                assert stream is not None
                for document in YAML(typ="safe").load_all(stream.read()):
                    found.update(crd_schemas(document or {}))
    return found


@cache
def calico_schema_file(group: str, kind: str, version: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="calico-schemas-"))
    path = folder / f"{kind.lower()}_{version}.json"
    path.write_text(json.dumps(calico_schemas()[(group, kind, version)]))
    return path


def upstream_schema_for(doc: dict[str, Any]) -> Path:
    """The kubeconform-style schema file of a manifest in the reference folder."""
    group, _, version = doc["apiVersion"].rpartition("/")
    kind = doc["kind"].lower()
    if group == "crd.projectcalico.org":
        return calico_schema_file(group, doc["kind"], version)
    if group.endswith("fluxcd.io") or group == "bitnami.com":
        return upstream_path("crd-schemas", group, f"{kind}_{version}.json")
    suffix = f"-{group.split('.')[0]}" if group else ""
    return upstream_path("k8s-schemas", "v1.32.0-standalone-strict", f"{kind}{suffix}-{version}.json")


def schema_errors(doc: dict[str, Any], schema: Path | None = None) -> list[str]:
    validator = _validator(schema or upstream_schema_for(doc))
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.fixture
def upstream() -> Path:
    return upstream_path()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the example project's inputs (clusters/), with no gitops/ yet: a fleet of its own,
    which needs none of hubfleet's repository beside it."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "clusters", root / "clusters", ignore=shutil.ignore_patterns("*.pem", "secrets"))
    return root


@pytest.fixture
def run() -> Callable[..., Result]:
    """Run the CLI in-process: run(root, "render", "clusterA")."""

    def invoke(root: Path, *args: str) -> Result:
        return CliRunner().invoke(main, ["--root", str(root), *args], catch_exceptions=False)

    return invoke


def set_field(path: Path, dotted: str, value: Any) -> None:
    """Change one field of a YAML input (tests only; drops comments)."""
    yaml = YAML()
    # Keeps "org:team" quoted: ruamel would write it bare in a flow list, where it cannot read it.
    yaml.preserve_quotes = True
    data = yaml.load(path.read_text())
    *parents, last = dotted.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    with path.open("w") as stream:
        yaml.dump(data, stream)


DELETE = object()


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under root with its bytes and mtime, for 'nothing changed' assertions; the
    writer's own state folder (its lock, git-ignored) is not part of the tree."""
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and STATE_DIR not in p.relative_to(root).parts
    }


@pytest.fixture
def rendered(project: Path, run: Callable[..., Result]) -> Iterator[Path]:
    result = run(project, "render", "--all")
    assert result.exit_code == 0, result.output
    yield project


def load_docs_text(text: str) -> list[dict[str, Any]]:
    return [doc for doc in YAML(typ="safe").load_all(text) if doc]
