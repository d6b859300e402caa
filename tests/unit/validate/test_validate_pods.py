"""`validate --hub-python`: every user's pod built by the hub image's JupyterHub and KubeSpawner.

A pod that KubeSpawner cannot build, or that Kubernetes would refuse, is a finding naming the
hub, the profile (and the option chosen) and the role, with the upstream message. The hub
tier (test_hub_tier.py) checks what the pods hold; this checks that validate reports.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import require
from support.validate import copy_example, findings, run_validate
from tiers.test_hub_tier import HUB_PYTHON

RELEASE = "gitops/hubs/clusterA/datalab/jupyterhub.yaml"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(HUB_PYTHON.exists(), f"{HUB_PYTHON} is missing: run `make hub-venv`")
    return copy_example(tmp_path_factory.mktemp("pods") / "example")


def test_every_pod_of_the_example_builds_and_is_valid(example: Path) -> None:
    result = run_validate(example, "--skip", "flux", "--hub-python", str(HUB_PYTHON))
    assert result.exit_code == 0, result.stdout
    assert findings(result) == []


def test_a_profile_kubespawner_cannot_build_names_hub_profile_and_role(example: Path, tmp_path: Path) -> None:
    root = tmp_path / "broken"
    shutil.copytree(example, root)
    release = root / RELEASE
    text = release.read_text()
    assert text.count('mem_limit: "14G"') == 1
    release.write_text(text.replace('mem_limit: "14G"', 'mem_limit: "14 gigs"'))
    result = run_validate(root, "--skip", "flux", "--skip", "freshness", "--hub-python", str(HUB_PYTHON))
    assert result.exit_code == 1
    message = (
        "KubeSpawner cannot build the server: TraitError: 14 gigs is not a valid memory specification. "
        "Must be an int or a string with suffix K, M, G, T"
    )
    pods = [line for line in findings(result) if "KubeSpawner" in line]
    assert pods == [
        f"clusters/clusterA/hubs/datalab.yaml: hub datalab, profile gpu, {choice}, {role}: {message}"
        for choice in ("1-pytorch-notebook-cuda12-2025-11-10", "2-tensorflow-notebook-cuda-2025-11-10")
        for role in ("admin", "user")
    ]


def test_a_hub_python_that_is_not_one_is_a_usage_error(example: Path, tmp_path: Path) -> None:
    result = run_validate(example, "--hub-python", str(tmp_path / "nothing"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"--hub-python: {tmp_path / 'nothing'} is not an executable Python (e.g. .venv-hub/bin/python)"
    ]
