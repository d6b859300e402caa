"""validate's hardening lint on the expanded charts: requests and a securityContext on every
container, no root or privilege without a reviewed reason, and no ClusterRole that reads every
Secret; NGINX's comes out through the HelmRelease's postRenderers, applied by kustomize as
helm-controller applies them. The example passes (make validate); each test takes one of those
away in the tree and finds it reported (they all failed on the values rendered before)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support.validate import copy_example, findings, require_environment, run_validate

ONLY = ("--skip", "flux", "--skip", "freshness", "--skip", "objects", "--skip", "eksctl")
INFRA = "gitops/infrastructure/clusterA"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_environment()
    return copy_example(tmp_path_factory.mktemp("hardening") / "project")


@pytest.fixture
def root(example: Path, tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(example, target)
    return target


def edit(root: Path, path: str, old: str, new: str) -> None:
    file = root / path
    text = file.read_text()
    assert text.count(old) == 1, (path, old)
    file.write_text(text.replace(old, new))


def drop_block(file: Path, first: str) -> None:
    """Take out the line `first` and the lines indented under it."""
    lines = file.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    depth = len(first) - len(first.lstrip()) + 2
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" " * depth)), len(lines))
    file.write_text("".join(lines[:start] + lines[end:]))


def test_the_example_is_hardened(example: Path) -> None:
    assert [
        line for line in findings(run_validate(example, *ONLY)) if "hardening" in line or "Secret" in line
    ] == []


def test_nginx_without_its_post_renderer_may_read_every_secret(root: Path) -> None:
    drop_block(root / f"{INFRA}/ingress/nginx-ingress.yaml", "  postRenderers:")
    assert findings(run_validate(root, *ONLY)) == [
        f"{INFRA}/ingress/nginx-ingress.yaml:5: HelmRelease/nginx-ingress: renders ClusterRole/nginx-ingress, "
        "which may read every Secret of the cluster (the sealing key's too); give the controller a Role for its "
        "own namespace's Secrets instead"
    ]


def test_a_post_renderer_whose_test_fails_is_a_finding(root: Path) -> None:
    edit(root, f"{INFRA}/ingress/nginx-ingress.yaml", "value: secrets", "value: configmaps")
    found = findings(run_validate(root, *ONLY))
    assert len(found) == 1 and "spec.postRenderers: " in found[0] and "testing value" in found[0], found


def test_state_metrics_with_its_secrets_collector_is_reported(root: Path) -> None:
    edit(root, f"{INFRA}/monitoring/prometheus.yaml", "      collectorsExclude:\n        - secrets\n", "")
    assert findings(run_validate(root, *ONLY)) == [
        f"{INFRA}/monitoring/prometheus.yaml:2: HelmRelease/prometheus: renders ClusterRole/prometheus-kube-state-"
        "metrics, which may read every Secret of the cluster (the sealing key's too); give the controller a Role "
        "for its own namespace's Secrets instead"
    ]


def test_a_root_autoscaler_without_requests_is_reported(root: Path) -> None:
    drop_block(root / f"{INFRA}/controllers/cluster-autoscaler.yaml", "    securityContext:")
    found = findings(run_validate(root, *ONLY))
    assert found == [
        f"{INFRA}/controllers/cluster-autoscaler.yaml:2: HelmRelease/cluster-autoscaler: renders Deployment/"
        "cluster-autoscaler whose container aws-cluster-autoscaler runs as root; give it a non-root runAsUser and "
        "runAsNonRoot: true"
    ]
