"""Render skips clusters whose inputs, tool and output files match the record, and only those."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

import hubfleet.write.pipeline
from conftest import snapshot
from hubfleet.inputs.pipeline import Scope
from support.builders import make_cluster

Run = Callable[..., Result]


@pytest.fixture
def fleet(tmp_path: Path, run: Run) -> Path:
    """Two clusters of two hubs, rendered once."""
    for name in ("alpha", "beta"):
        root = make_cluster(tmp_path, name=name, hubs={"one": {}, "two": {}})
    assert run(root, "render", "--all").exit_code == 0
    return root


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The clusters each render loaded (and so rendered)."""
    calls: list[tuple[str, ...]] = []
    real = hubfleet.write.pipeline.load_project

    def spy(project: object, scope: Scope) -> object:
        calls.append(scope.names)
        return real(project, scope)  # type: ignore[arg-type]

    monkeypatch.setattr(hubfleet.write.pipeline, "load_project", spy)
    return calls


def last_line(result: Result) -> str:
    return result.output.splitlines()[-1]


def test_a_no_op_render_loads_nothing_and_reports_the_same(
    fleet: Path, run: Run, loaded: list[object]
) -> None:
    before = snapshot(fleet / "gitops")
    result = run(fleet, "render", "--all")
    assert loaded == []
    assert last_line(result) == "rendered alpha, beta: 0 added, 0 changed, 0 removed, 66 unchanged"
    assert snapshot(fleet / "gitops") == before
    assert not (fleet / "gitops/.hubfleet/fingerprints.json.tmp").exists()


def test_changing_one_hub_renders_only_its_cluster(fleet: Path, run: Run, loaded: list[object]) -> None:
    hub = fleet / "clusters/beta/hubs/one.yaml"
    hub.write_text(hub.read_text().replace("size: 10Gi", "size: 11Gi"))
    result = run(fleet, "render", "--all")
    assert loaded == [("beta",)]
    assert last_line(result) == "rendered alpha, beta: 0 added, 1 changed, 0 removed, 65 unchanged"


def test_a_hand_edited_or_deleted_generated_file_is_restored(
    fleet: Path, run: Run, loaded: list[object]
) -> None:
    rendered = snapshot(fleet / "gitops")
    edited = fleet / "gitops/hubs/alpha/one/drive.yaml"
    edited.write_text(edited.read_text() + "# a person's edit\n")
    (fleet / "gitops/eksctl/beta.yaml").unlink()
    result = run(fleet, "render", "--all")
    assert sorted(loaded) == [("alpha", "beta")]
    assert result.output.splitlines()[:2] == [
        "added   gitops/eksctl/beta.yaml",
        "changed gitops/hubs/alpha/one/drive.yaml",
    ]
    assert {k: v[0] for k, v in snapshot(fleet / "gitops").items()} == {k: v[0] for k, v in rendered.items()}


def test_a_deleted_cluster_is_removed_by_render_all(fleet: Path, run: Run, loaded: list[object]) -> None:
    shutil.rmtree(fleet / "clusters/beta")
    result = run(fleet, "render", "--all")
    assert loaded == [("alpha",)]
    assert last_line(result) == "rendered alpha: 0 added, 0 changed, 26 removed, 40 unchanged"
    assert not (fleet / "gitops/hubs/beta").exists()


def test_a_new_hubfleet_renders_everything(
    fleet: Path, run: Run, loaded: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hubfleet.write.pipeline, "tool_key", lambda layout: "another version")
    run(fleet, "render", "--all")
    assert loaded == [("alpha", "beta")]


def test_check_never_skips(fleet: Path, run: Run) -> None:
    """Even an edit that keeps a file's size and mtime (which render's record cannot see)."""
    edited = fleet / "gitops/hubs/alpha/one/drive.yaml"
    info = edited.stat()
    edited.write_text(edited.read_text().replace('interval: "30m"', 'interval: "31m"'))
    os.utime(edited, ns=(info.st_atime_ns, info.st_mtime_ns))
    result = run(fleet, "render", "--all", "--check")
    assert result.exit_code == 1
    assert "changed gitops/hubs/alpha/one/drive.yaml" in result.output.splitlines()
