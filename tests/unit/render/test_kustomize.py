"""kubectl kustomize (the same kustomize Flux runs) builds every rendered folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import KUBECTL, load_docs, load_docs_text, require


def kustomize(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KUBECTL), "kustomize", str(folder)], capture_output=True, text=True)


@pytest.fixture
def kubectl() -> Path:
    require(KUBECTL.is_file(), "kubectl is not installed; run `make tools`")
    return KUBECTL


def test_every_flux_path_builds(rendered: Path, kubectl: Path) -> None:
    gitops = rendered / "gitops"
    paths = [
        doc["spec"]["path"]
        for f in ("infrastructure.yaml", "hubs.yaml")
        for doc in load_docs(gitops / "clusters/clusterA" / f)
    ]
    assert len(paths) == 5  # three infrastructure layers, monitoring, and the hubs
    kinds: set[str] = set()
    for path in paths:
        result = kustomize(rendered / path)
        assert result.returncode == 0, result.stderr
        kinds |= {doc["kind"] for doc in load_docs_text(result.stdout)}
    assert {"HelmRelease", "HelmRepository", "Namespace", "StorageClass", "Ingress"} <= kinds


def test_the_bootstrap_folder_builds_once_flux_bootstrap_has_run(rendered: Path, kubectl: Path) -> None:
    entry = rendered / "gitops/clusters/clusterA"
    assert kustomize(entry).returncode != 0  # flux-system/ does not exist before bootstrap
    stub = entry / "flux-system"
    stub.mkdir()
    (stub / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n"
    )
    result = kustomize(entry)
    assert result.returncode == 0, result.stderr
    names = sorted(doc["metadata"]["name"] for doc in load_docs_text(result.stdout))
    assert names == ["hubs", "infra-configs", "infra-controllers", "infra-ingress", "infra-monitoring"]
    shutil.rmtree(stub)


def test_a_missing_resource_fails_the_build(rendered: Path, kubectl: Path) -> None:
    (rendered / "gitops/hubs/clusterA/datalab/drive.yaml").unlink()
    assert kustomize(rendered / "gitops/hubs/clusterA").returncode != 0
