"""The package's layers hold: import-linter checks the contracts in pyproject.toml ([tool.importlinter]).

import-linter's public Python API only reads the configuration, so the linter itself runs as its
command, in a fresh interpreter: that way it imports the package it is pointed at (the working
tree's, or a broken copy), never the one this test process already imported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from importlinter.api import read_configuration

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "pyproject.toml"
PACKAGE = REPO / "tool" / "hubfleet"
LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def contract_names() -> dict[str, str]:
    """Each contract's name by its id."""
    contracts = read_configuration(str(CONFIG))["contracts_options"]
    return {contract["id"]: contract["name"] for contract in contracts}


def lint_imports(cwd: Path, package_parent: Path) -> subprocess.CompletedProcess[str]:
    """Check every contract against the `hubfleet` found in package_parent."""
    env = {
        **os.environ,
        "PYTHONPATH": str(package_parent),
        # Wide enough that a contract's name and its verdict stay on one line.
        "COLUMNS": "400",
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [sys.executable, "-c", LINT, "--no-cache", "--no-logo", str(CONFIG)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def test_layer_contracts_hold() -> None:
    names = contract_names()
    result = lint_imports(REPO, PACKAGE.parent)
    assert result.returncode == 0, report(result)
    for name in names.values():
        assert f"{name} KEPT" in result.stdout, report(result)
    assert f"Contracts: {len(names)} kept, 0 broken." in result.stdout, report(result)


@pytest.mark.parametrize(
    ("module", "forbidden_import", "contract", "chain"),
    [
        (
            "aws/drift.py",
            "import hubfleet.render.hub",
            "render-through-pipeline",
            "hubfleet.aws.drift -> hubfleet.render.hub",
        ),
        ("core/names.py", "import os", "core-is-shared", "hubfleet.core.names -> os"),
        (
            "system/files.py",
            "import hubfleet.inputs.load",
            "system-below-stages",
            "hubfleet.system.files -> hubfleet.inputs.load",
        ),
        (
            "inputs/load.py",
            "import hubfleet.write.tree",
            "inputs-before-later-stages",
            "hubfleet.inputs.load -> hubfleet.write.tree",
        ),
        ("render/hub.py", "import subprocess", "render-is-pure", "hubfleet.render.hub -> subprocess"),
        ("aws/drift.py", "import click", "commands-in-cli", "hubfleet.aws.drift -> click"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, forbidden_import: str, contract: str, chain: str
) -> None:
    copy = tmp_path / "src" / "hubfleet"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    broken = copy / module
    broken.write_text(f"{broken.read_text(encoding='utf-8')}\n{forbidden_import}\n", encoding="utf-8")

    names = contract_names()
    result = lint_imports(tmp_path, copy.parent)

    assert result.returncode == 1, report(result)
    assert f"{names[contract]} BROKEN" in result.stdout, report(result)
    assert chain in result.stdout, report(result)
    assert f"Contracts: {len(names) - 1} kept, 1 broken." in result.stdout, report(result)
