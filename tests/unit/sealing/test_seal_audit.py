"""The audit `hubfleet validate` runs over sealed secrets: public facts against the cluster."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from conftest import set_field
from hubfleet.errors import Diagnostic
from hubfleet.inputs.pipeline import load_cluster
from hubfleet.sealing.audit import audit_sealed_secrets, seal_finding
from hubfleet.sealing.crypto import fingerprint
from hubfleet.system.project import Project
from support.sealing import (
    NOW,
    SEALED,
    cli,
    make_cert,
    make_project,
    other_sealing_pair,
    rsa_key,
    seal_default,
    sealing_pair,
    tls_files,
    write_pem,
)

PEM = "clusters/clusterA/sealed-secrets.pem"


def _audit(root: Path, at: timedelta = timedelta(0)) -> list[Diagnostic]:
    project = Project(root)
    return audit_sealed_secrets(project, load_cluster(project, "clusterA"), NOW + at)


def _sealed_project(tmp_path: Path, days: int = 3650) -> Path:
    root = make_project(tmp_path)
    crt, key = tls_files(
        tmp_path / "tls", rsa_key(), make_cert(rsa_key(), not_after=NOW + timedelta(days=days))
    )
    assert cli(root, "seal", "tls", "clusterA", "--cert", str(crt), "--key", str(key)).exit_code == 0
    return root


def test_a_freshly_sealed_cluster_is_clean(tmp_path: Path) -> None:
    assert _audit(_sealed_project(tmp_path)) == []


def test_sealed_for_another_cluster(tmp_path: Path) -> None:
    root = _sealed_project(tmp_path)
    write_pem(root / PEM, other_sealing_pair()[1])
    assert _audit(root) == [
        seal_finding(
            SEALED,
            "error",
            f"sealed with another sealing certificate ({fingerprint(sealing_pair()[1])}), not the cluster's "
            f"({fingerprint(other_sealing_pair()[1])}); the controller of clusterA cannot decrypt it: "
            "seal it again with hubfleet seal",
        )
    ]


def test_missing_sealing_certificate(tmp_path: Path) -> None:
    root = _sealed_project(tmp_path)
    (root / PEM).unlink()
    (finding,) = _audit(root)
    assert (finding.file, finding.severity) == (PEM, "error")
    assert finding.message.startswith("no sealing certificate; create the cluster's sealing key with")


def test_domain_no_longer_covered(tmp_path: Path) -> None:
    root = _sealed_project(tmp_path)
    set_field(root / "clusters/clusterA/cluster.yaml", "domain", "hubs.example.com")
    assert _audit(root) == [
        seal_finding(
            SEALED,
            "error",
            "the certificate does not cover hubs.example.com (it names: clustera.hubs.example.org)",
        )
    ]


def test_expired(tmp_path: Path) -> None:
    root = _sealed_project(tmp_path, days=40)
    (finding,) = _audit(root, timedelta(days=41))
    assert (finding.file, finding.severity) == (SEALED, "error")
    assert finding.message.startswith("the certificate expired on ")


def test_expiring_within_30_days_warns(tmp_path: Path) -> None:
    root = _sealed_project(tmp_path, days=40)
    assert _audit(root, timedelta(days=9)) == []
    (finding,) = _audit(root, timedelta(days=20, hours=1))
    assert (finding.file, finding.severity) == (SEALED, "warning")
    assert finding.message.endswith(
        ", in 19 days; renew it and seal the new one with `hubfleet seal tls clusterA --cert FILE --key FILE`"
    )


def test_a_missing_ingress_secret_is_left_to_the_tree_check(tmp_path: Path) -> None:
    # `hubfleet validate` reports it once, from the rendered tree (test_validate.py); not here too.
    root = make_project(tmp_path)
    assert seal_default(root, tmp_path, "--name", "other-tls").exit_code == 0
    assert _audit(root) == []


def test_a_secret_sealed_elsewhere_cannot_be_checked(tmp_path: Path) -> None:
    root = _sealed_project(tmp_path)
    other = root / "clusters/clusterA/secrets/creds.sealedsecret.yaml"
    other.write_text(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
        "metadata: {name: creds, namespace: team}\nspec: {encryptedData: {password: AgAA}}\n"
    )
    assert _audit(root) == [
        seal_finding(
            "clusters/clusterA/secrets/creds.sealedsecret.yaml",
            "warning",
            "no hubfleet/sealing-cert-sha256 annotation, so which key sealed it cannot be checked",
        )
    ]


def test_urls_host_needs_the_wildcard(tmp_path: Path) -> None:
    """With a host per hub the served certificate must cover *.<domain> too: the finding names it."""
    root = _sealed_project(tmp_path)
    cluster_file = root / "clusters/clusterA/cluster.yaml"
    cluster_file.write_text(cluster_file.read_text() + "urls: host\n")
    assert _audit(root) == [
        seal_finding(
            SEALED,
            "error",
            "the certificate does not cover *.clustera.hubs.example.org (it names: clustera.hubs.example.org), "
            "which urls: host needs (a host per hub)",
        )
    ]
