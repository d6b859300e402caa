"""An ordinary (non-editable) install works: the input schemas (schemas/, shipped as
hubfleet.schemas) and the package data (hubfleet/data) go into the built package, so `hubfleet
render` runs from it without this working tree.

The build uses pip's default build isolation: the venv's own setuptools (65.5, from `python -m
venv`) is older than pyproject's `setuptools>=68` and cannot build a wheel (it has no
bdist_wheel without the separate `wheel` package), so `--no-build-isolation` fails here. pip
fetches the build backend from the package index, which the machines and CI reach.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from chart_mirror import chart_environment

REPO = Path(__file__).resolve().parents[1]

# Run in the installed package: where hubfleet, its schemas and its data were found.
PROBE = """
import json
from importlib import resources

import hubfleet
import hubfleet.schemas

print(json.dumps({
    "hubfleet": hubfleet.__file__,
    "schemas": hubfleet.schemas.__file__,
    "schema_files": str(resources.files("hubfleet.schemas")),
    "data_files": str(resources.files("hubfleet").joinpath("data")),
}))
"""


def outcome(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def build_source(tmp_path: Path) -> Path:
    """A copy of what the build reads, so that pip's in-tree build (build/, *.egg-info) leaves the
    working tree alone."""
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy2(REPO / "pyproject.toml", source / "pyproject.toml")
    if (REPO / "README.md").is_file():
        shutil.copy2(REPO / "README.md", source / "README.md")
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    shutil.copytree(REPO / "tool", source / "tool", ignore=skip)
    shutil.copytree(REPO / "schemas", source / "schemas", ignore=skip)
    return source


def test_a_non_editable_install_renders_the_example(tmp_path: Path, project: Path) -> None:
    site = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-cache-dir",
            "--no-compile",
            "--disable-pip-version-check",
            "--quiet",
            "--target",
            str(site),
            str(build_source(tmp_path)),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert install.returncode == 0, outcome(install)

    env = {**os.environ, "PYTHONPATH": str(site)}
    render = subprocess.run(
        [sys.executable, "-m", "hubfleet", "render", "--all"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert render.returncode == 0, outcome(render)
    assert (project / "gitops" / "clusters" / "clusterA" / "kustomization.yaml").is_file(), outcome(render)

    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert probe.returncode == 0, outcome(probe)
    found = {key: Path(value).resolve() for key, value in json.loads(probe.stdout).items()}
    # The editable install of this working tree did not answer instead: everything came from site.
    for key, path in found.items():
        assert path.is_relative_to(site.resolve()), f"{key} was found at {path}, outside {site}"
    schemas = sorted((REPO / "schemas").glob("*.schema.json"))
    data = sorted((REPO / "tool" / "hubfleet" / "data").glob("*.json"))
    assert schemas and data
    for file in schemas:
        assert (found["schema_files"] / file.name).is_file(), f"schemas/{file.name} did not ship"
    for file in data:
        assert (found["data_files"] / file.name).is_file(), f"hubfleet/data/{file.name} did not ship"

    for shipped in sorted((REPO / "tool" / "hubfleet" / "data").rglob("*.json")):
        relative = shipped.relative_to(REPO / "tool" / "hubfleet" / "data")
        assert (found["data_files"] / relative).is_file(), f"hubfleet/data/{relative} did not ship"

    # validate runs from the installed package alone: its schemas, the chart mirror, helm and kubectl.
    example = tmp_path / "example"
    for part in ("clusters", "charts", "gitops"):
        shutil.copytree(REPO / part, example / part)
    shutil.copy(REPO / "charts.lock", example / "charts.lock")
    tools = REPO / ".tools" / "bin"
    check = subprocess.run(
        [sys.executable, "-m", "hubfleet", "validate"],
        cwd=example,
        env={
            **env,
            **chart_environment(),
            "PATH": f"{tools}{os.pathsep}{env['PATH']}",
            "HUBFLEET_SCHEMA_LOCATION": "",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert check.returncode == 0, outcome(check)
    assert check.stdout.splitlines()[-1].endswith(" passed, 0 failed"), outcome(check)
