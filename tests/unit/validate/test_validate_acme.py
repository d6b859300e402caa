"""`tls.mode: acme` through the real charts: the example moved to a host per hub and a Let's Encrypt
certificate renders cert-manager v1.21.1 from the chart mirror, and validate expands it with helm,
checks its values against the chart's values.schema.json, and checks the ClusterIssuers and the
Certificate against the CRDs that very chart installs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from hubfleet.cli import main
from hubfleet.inputs.pipeline import Scope, load_project
from hubfleet.system.project import Project
from hubfleet.validate.findings import Tally
from hubfleet.validate.lint import expiry_watch_lint
from hubfleet.write.pipeline import render_project
from support.builders import make_cluster
from support.chart_mirror import chart_environment
from support.validate import (
    copy_example,
    edit,
    findings,
    line_of,
    require_environment,
    run_validate,
    stale,
    summary,
)
from tiers.test_hub_tier import HUB_PYTHON

CONFIGS = "infrastructure/clusterA/configs"
ACME = (
    "urls: host\n"
    "hostedZone: {id: Z04417231ABCDEFGHIJKL, name: hubs.example.org}\n"
    "tls: {mode: acme, email: hub-ops@example.edu}\n"
)


@pytest.fixture(scope="module")
def acme_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_environment()
    root = copy_example(tmp_path_factory.mktemp("acme") / "project", render=False)
    cluster = root / "clusters/clusterA/cluster.yaml"
    cluster.write_text(cluster.read_text() + ACME)
    # cert-manager writes the served Secret now; the sealed one would fight it (see the test below).
    (root / "clusters/clusterA/secrets/clustera-tls.sealedsecret.yaml").unlink()
    render_project(Project(root), Scope.select(Project(root), (), True))
    lock(root)
    return root


def lock(root: Path) -> None:
    """`hubfleet charts lock` and `images lock --unresolved`: the example's locks have no cert-manager,
    which only acme deploys."""
    env = {**chart_environment(), "HUBFLEET_HUB_PYTHON": str(HUB_PYTHON)}
    result = CliRunner().invoke(main, ["--root", str(root), "charts", "lock"], env=env)
    assert result.exit_code == 0, result.output
    assert "added     cert-manager v1.21.1 sha256:723d82dc57d5d293..." in result.output
    result = CliRunner().invoke(main, ["--root", str(root), "images", "lock", "--unresolved"], env=env)
    assert result.exit_code == 0, result.output
    assert "added     quay.io/jetstack/cert-manager-controller:v1.21.1 unresolved" in result.output


def test_the_example_as_host_and_acme_passes_through_the_real_charts(acme_example: Path) -> None:
    result = run_validate(acme_example)
    assert result.exit_code == 0, result.output
    assert findings(result) == []
    passed, _ = summary(result)
    assert passed > 0
    controllers = (acme_example / "gitops/infrastructure/clusterA/controllers/cert-manager.yaml").read_text()
    assert "version: v1.21.1" in controllers


def test_the_certificate_is_checked_against_cert_managers_own_crds(
    acme_example: Path, tmp_path: Path
) -> None:
    """A field cert-manager's CRD does not have is refused: the schema is the chart's, not ours."""
    root = tmp_path / "project"
    shutil.copytree(acme_example, root)
    target = root / "gitops" / CONFIGS / "certificate.yaml"
    edit(target, "hostedZoneID:", "hostedZoneId:")
    result = run_validate(root)
    assert result.exit_code == 1
    line = line_of(target, "hostedZoneId:")
    assert findings(result) == [
        stale(f"{CONFIGS}/certificate.yaml"),
        f"gitops/{CONFIGS}/certificate.yaml:{line}: ClusterIssuer/letsencrypt-production: "
        "spec.acme.solvers[0].dns01.route53.hostedZoneId: unknown field (did you mean 'hostedZoneID'?)",
    ]


def test_a_sealed_certificate_beside_acme_is_a_finding(tmp_path: Path) -> None:
    require_environment()
    root = copy_example(tmp_path / "project", render=False)
    cluster = root / "clusters/clusterA/cluster.yaml"
    cluster.write_text(cluster.read_text() + ACME)
    render_project(Project(root), Scope.select(Project(root), (), True))
    lock(root)
    result = run_validate(root)
    assert result.exit_code == 1
    certificate = root / "gitops" / CONFIGS / "certificate.yaml"
    line = line_of(certificate, "secretName:")
    assert (
        f"gitops/{CONFIGS}/certificate.yaml:{line}: Certificate/clustera-tls: Secret nginx-ingress/clustera-tls "
        f"would be written by both this Certificate and the SealedSecret in gitops/{CONFIGS}/"
        "clustera-tls.sealedsecret.yaml: each would overwrite the other; with tls.mode acme delete the sealed "
        "certificate's input under secrets/ and render" in findings(result)
    )


@pytest.mark.parametrize("monitoring", [True, False])
def test_acme_without_monitoring_is_a_warning(tmp_path: Path, monitoring: bool) -> None:
    """Nothing else would say that renewal fails: Let's Encrypt sends no expiry emails."""
    extra = {"monitoring": {"retention": "30d"}} if monitoring else {}
    root = make_cluster(
        tmp_path, hostedZone={"id": "Z0AB12", "name": "hubs.example.org"}, tls={"mode": "acme"}, **extra
    )
    [cluster] = load_project(Project(root), Scope(("clusterA",), False))
    tally = Tally("lint")
    expiry_watch_lint(cluster, tally)
    expected = [] if monitoring else [
        "clusters/clusterA/cluster.yaml: warning: tls: nothing alerts when cert-manager fails to renew the "
        "certificate (Let's Encrypt sends no expiry emails): add a monitoring block, which brings the "
        "CertificateExpiring alert"
    ]  # fmt: skip
    assert [str(found) for found in tally.findings] == expected
