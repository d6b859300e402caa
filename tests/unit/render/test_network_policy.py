"""Calico as rendered, checked by validate through its real charts: the operator's Installation
(from the tigera-operator chart's own template) and hubfleet's drive policy are validated against
the CRDs of Calico's CRD chart, and the operator release is hardened as every other is. Which pods
the policies hold for, and what they let through, is test_reachability.py's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support.validate import copy_example, edit, findings, require_environment, run_validate

CALICO = "gitops/infrastructure/clusterA/controllers/calico.yaml"
DRIVE_POLICY = "gitops/infrastructure/clusterA/configs/drive-isolation.yaml"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_environment()
    return copy_example(tmp_path_factory.mktemp("calico") / "project")


@pytest.fixture
def root(example: Path, tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(example, target)
    return target


def line_of(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


def operator_line(path: Path) -> int:
    """Where the operator's release starts: after the file's last separator."""
    lines = path.read_text().splitlines()
    return max(n for n, text in enumerate(lines, 1) if text == "---") + 1


def validate(root: Path) -> list[str]:
    result = run_validate(root, "--skip", "flux", "--skip", "freshness")
    return [line for line in findings(result) if "warning" not in line]


def test_the_installation_and_the_drive_policy_are_checked_against_calicos_crds(root: Path) -> None:
    edit(root / CALICO, "type: AmazonVPC", "type: AmazonVPX")
    edit(root / DRIVE_POLICY, "action: Deny", "action: Refuse")
    operator = operator_line(root / CALICO)
    assert validate(root) == [
        # With no Calico for the VPC CNI, the cluster is not enforced either.
        "gitops/eksctl/clusterA.yaml:26: ClusterConfig/clusterA: addons: nothing enforces NetworkPolicies (no "
        "tigera-operator release with the VPC CNI as its CNI, no VPC CNI enableNetworkPolicy), so every drive, "
        "hub and monitoring server is open to every pod; Calico must enforce them (the tigera-operator release "
        "`hubfleet render` writes)",
        f"{DRIVE_POLICY}:{line_of(root / DRIVE_POLICY, 'action:')}: GlobalNetworkPolicy/drives-admit-no-pod: "
        "spec.ingress[0].action: 'Refuse' is not one of: Allow, Deny, Log, Pass",
        f"{CALICO}:{operator}: HelmRelease/tigera-operator: renders Installation/default (helm output): "
        "spec.cni.type: 'AmazonVPX' is not one of: Calico, GKE, AmazonVPC, AzureVNET",
    ]


def test_the_operator_is_unprivileged_only_with_its_post_renderer_and_no_uninstall_hook(root: Path) -> None:
    """Without the post-renderer the chart's container has no securityContext; with the uninstall
    hook on, its root Job without requests would run."""
    calico = root / CALICO
    text = calico.read_text()
    calico.write_text(text[: text.index("  postRenderers:")])  # the release's last field
    edit(calico, "  uninstall:\n    disableHooks: true\n", "")
    where = f"{CALICO}:{operator_line(calico)}: HelmRelease/tigera-operator: renders "
    assert validate(root) == [
        where + "Deployment/tigera-operator whose container tigera-operator has no securityContext; forbid "
        "privilege escalation there",
        where + "Job/tigera-operator-uninstall whose container cleanup-job has no securityContext; forbid "
        "privilege escalation there",
        where + "Job/tigera-operator-uninstall whose container cleanup-job requests no cpu or memory; set "
        "resources.requests",
    ]
