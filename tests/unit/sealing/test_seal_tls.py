"""`hubfleet seal tls`: the file it writes, no churn, and one test per refused input."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from conftest import load_docs, snapshot
from hubfleet.inputs.load import load_file
from hubfleet.render.ingress import MASTER_INGRESS
from hubfleet.sealing.crypto import fingerprint
from hubfleet.sealing.sealedsecret import serialise_sealed
from hubfleet.write.emit import dump
from support.sealing import (
    DOMAIN,
    NOW,
    SEALED,
    cli,
    ec_key,
    make_cert,
    make_project,
    other_sealing_pair,
    pem_body,
    rsa_key,
    seal_default,
    sealing_pair,
    tls_files,
    write_pem,
)
from support.validate import REPO, object_file


def _seal(root: Path, crt: Path, key: Path, *extra: str) -> tuple[int, str]:
    result = cli(root, "seal", "tls", "clusterA", "--cert", str(crt), "--key", str(key), *extra)
    return result.exit_code, result.output


def test_writes_a_strict_scope_tls_sealed_secret_that_fits_the_crd(tmp_path: Path, upstream: Path) -> None:
    root = make_project(tmp_path)
    result = seal_default(root, tmp_path)
    assert result.exit_code == 0, result.output
    assert f"sealed nginx-ingress/clustera-tls into {SEALED}" in result.output
    text = (root / SEALED).read_text()
    assert text.startswith(
        "# SealedSecret nginx-ingress/clustera-tls: the TLS certificate of cluster clusterA"
    )
    assert "Written by `hubfleet seal tls`" in text
    (doc,) = load_docs(root / SEALED)
    schema = json.loads((upstream / "crd-schemas/bitnami.com/sealedsecret_v1alpha1.json").read_text())
    assert list(Draft7Validator(schema).iter_errors(doc)) == []
    assert list(doc) == ["apiVersion", "kind", "metadata", "spec"]
    assert (doc["metadata"]["name"], doc["metadata"]["namespace"]) == ("clustera-tls", "nginx-ingress")
    assert "sealedsecrets.bitnami.com/cluster-wide" not in doc["metadata"]["annotations"]
    assert sorted(doc["spec"]["encryptedData"]) == ["tls.crt", "tls.key"]
    assert all(v.startswith("Ag") for v in doc["spec"]["encryptedData"].values())
    template = doc["spec"]["template"]
    assert template["type"] == "kubernetes.io/tls"
    assert (template["metadata"]["name"], template["metadata"]["namespace"]) == (
        "clustera-tls",
        "nginx-ingress",
    )


def test_annotations_hold_public_facts_only(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    cert = make_cert(rsa_key(), (DOMAIN, "www.example.org"))
    crt, key = tls_files(tmp_path / "tls", rsa_key(), cert)
    assert _seal(root, crt, key)[0] == 0
    (doc,) = load_docs(root / SEALED)
    assert doc["metadata"]["annotations"] == {
        "hubfleet/sealing-cert-sha256": fingerprint(sealing_pair()[1]),
        "hubfleet/tls-chain-sha256": doc["metadata"]["annotations"]["hubfleet/tls-chain-sha256"],
        "hubfleet/tls-not-after": cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "hubfleet/tls-sans": f"{DOMAIN},www.example.org",
        "hubfleet/tls-sha256": fingerprint(cert),
        "hubfleet/tls-subject": f"CN={DOMAIN}",
    }


def test_sealing_again_changes_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert seal_default(root, tmp_path).exit_code == 0
    before = snapshot(root)
    result = seal_default(root, tmp_path)
    assert result.exit_code == 0
    assert (
        f"{SEALED} already holds this certificate, sealed with this sealing certificate; unchanged"
        in result.output
    )
    assert snapshot(root) == before  # bytes and mtimes


def test_a_new_certificate_reseals(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert seal_default(root, tmp_path).exit_code == 0
    before = (root / SEALED).read_bytes()
    crt, key = tls_files(tmp_path / "new", rsa_key(1), make_cert(rsa_key(1)))
    code, output = _seal(root, crt, key)
    assert code == 0 and "sealed nginx-ingress/clustera-tls" in output
    assert (root / SEALED).read_bytes() != before


def test_a_new_sealing_certificate_reseals(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert seal_default(root, tmp_path).exit_code == 0
    write_pem(root / "clusters/clusterA/sealed-secrets.pem", other_sealing_pair()[1])
    result = seal_default(root, tmp_path)
    assert result.exit_code == 0 and "sealed nginx-ingress/clustera-tls" in result.output
    (doc,) = load_docs(root / SEALED)
    assert doc["metadata"]["annotations"]["hubfleet/sealing-cert-sha256"] == fingerprint(
        other_sealing_pair()[1]
    )


def test_adding_an_intermediate_reseals(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    ca = make_cert(rsa_key(2), ("ca.example.org",), ca=True)
    leaf = make_cert(rsa_key(), issuer=(rsa_key(2), ca))
    crt, key = tls_files(tmp_path / "tls", rsa_key(), leaf)
    assert _seal(root, crt, key)[0] == 0
    before = (root / SEALED).read_bytes()
    crt, key = tls_files(tmp_path / "tls", rsa_key(), leaf, ca)
    code, output = _seal(root, crt, key)
    assert code == 0 and "sealed" in output
    assert (root / SEALED).read_bytes() != before


def test_name_and_namespace_options(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    result = seal_default(root, tmp_path, "--name", "other-tls", "--namespace", "team")
    assert result.exit_code == 0, result.output
    (doc,) = load_docs(root / "clusters/clusterA/secrets/other-tls.sealedsecret.yaml")
    assert (doc["metadata"]["namespace"], doc["metadata"]["name"]) == ("team", "other-tls")


def test_wildcard_ec_key_and_chain_are_accepted(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    ca = make_cert(rsa_key(2), ("ca.example.org",), ca=True)
    leaf = make_cert(ec_key(), ("*.hubs.example.org",), issuer=(rsa_key(2), ca))
    crt, key = tls_files(tmp_path / "tls", ec_key(), leaf, ca)
    code, output = _seal(root, crt, key)
    assert code == 0, output


def test_encrypted_key_with_its_passphrase(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    crt = write_pem(tmp_path / "tls.crt", make_cert(rsa_key()))
    key = write_pem(tmp_path / "tls.key", rsa_key(), password=b"open sesame")
    (tmp_path / "pass").write_text("open sesame\n")
    code, output = _seal(root, crt, key, "--passphrase-file", str(tmp_path / "pass"))
    assert code == 0, output
    result = cli(root, "seal", "tls", "clusterA", "--cert", str(crt), "--key", str(key), "--passphrase-file", "-",
                 input=b"open sesame\n")  # fmt: skip
    assert result.exit_code == 0 and "unchanged" in result.output


def test_expiring_soon_seals_with_a_warning(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    crt, key = tls_files(
        tmp_path / "tls", rsa_key(), make_cert(rsa_key(), not_after=NOW + timedelta(days=10))
    )
    result = cli(root, "seal", "tls", "clusterA", "--cert", str(crt), "--key", str(key))
    assert result.exit_code == 0
    assert f"warning: {crt}: the certificate expires on" in result.stderr
    assert "renew it soon" in result.stderr


def test_key_material_is_never_printed(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    outputs = [seal_default(root, tmp_path).output, seal_default(root, tmp_path).output]
    bad = write_pem(tmp_path / "bad.crt", make_cert(rsa_key(1)))
    outputs.append(
        cli(
            root, "seal", "tls", "clusterA", "--cert", str(bad), "--key", str(tmp_path / "tls/tls.key")
        ).output
    )
    for output in outputs:
        assert pem_body(rsa_key()) not in output
        assert "PRIVATE KEY" not in output


# Refused inputs: exit 2, a message naming the problem, nothing written. ----------------------------


def _der(path: Path, item: object) -> Path:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    if isinstance(item, x509.Certificate):
        path.write_bytes(item.public_bytes(serialization.Encoding.DER))
    else:
        path.write_bytes(
            item.private_bytes(  # type: ignore[attr-defined]
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return path


def _case(tmp_path: Path, case: str) -> tuple[Path, Path, str]:
    """Write the bad input of `case`; return cert path, key path and the expected message."""
    folder = tmp_path / "in"
    good = make_cert(rsa_key())
    if case == "key does not match":
        crt, key = tls_files(folder, rsa_key(1), good)
        return crt, key, f"{key}: the private key does not match the certificate in {crt}"
    if case == "expired":
        cert = make_cert(rsa_key(), not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=2))
        crt, key = tls_files(folder, rsa_key(), cert)
        return crt, key, f"{crt}: the certificate expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
    if case == "not yet valid":
        cert = make_cert(rsa_key(), not_before=NOW + timedelta(days=2))
        crt, key = tls_files(folder, rsa_key(), cert)
        return crt, key, f"{crt}: the certificate is not valid before"
    if case == "foreign domain":
        crt, key = tls_files(folder, rsa_key(), make_cert(rsa_key(), ("clusterb.hubs.example.org",)))
        return (
            crt,
            key,
            f"{crt}: the certificate does not cover {DOMAIN} (it names: clusterb.hubs.example.org)",
        )
    if case == "wildcard two labels up":
        crt, key = tls_files(folder, rsa_key(), make_cert(rsa_key(), ("*.example.org",)))
        return crt, key, f"{crt}: the certificate does not cover {DOMAIN} (it names: *.example.org)"
    if case == "leaf not first":
        ca = make_cert(rsa_key(2), ("ca.example.org",), ca=True)
        crt, key = tls_files(folder, rsa_key(), ca, make_cert(rsa_key(), issuer=(rsa_key(2), ca)))
        return (
            crt,
            key,
            f"{crt}: the key matches certificate 2, not the first; put the leaf certificate first",
        )
    if case == "chain out of order":
        ca = make_cert(rsa_key(2), ("ca.example.org",), ca=True)
        other = make_cert(rsa_key(1), ("other-ca.example.org",), ca=True)
        crt, key = tls_files(folder, rsa_key(), make_cert(rsa_key(), issuer=(rsa_key(2), ca)), other)
        return crt, key, f"{crt}: certificate 2 (CN=other-ca.example.org) did not issue certificate 1"
    if case == "DER certificate":
        crt, key = tls_files(folder, rsa_key(), good)
        _der(crt, good)
        return crt, key, f"{crt}: expected PEM, found DER; convert with: openssl x509 -inform der -in {crt}"
    if case == "DER key":
        crt, key = tls_files(folder, rsa_key(), good)
        _der(key, rsa_key())
        return crt, key, f"{key}: expected PEM, found DER; convert with: openssl pkey -inform der -in {key}"
    if case == "encrypted key without passphrase":
        crt, key = tls_files(folder, rsa_key(), good)
        write_pem(key, rsa_key(), password=b"secret")
        return (
            crt,
            key,
            f"{key}: the private key is encrypted; give its passphrase with --passphrase-file FILE",
        )
    if case == "missing certificate file":
        crt, key = tls_files(folder, rsa_key(), good)
        crt.unlink()
        return crt, key, f"{crt}: file not found"
    if case == "key is /dev/zero":
        crt, _ = tls_files(folder, rsa_key(), good)
        return crt, Path("/dev/zero"), "/dev/zero: not a regular file (a device, FIFO or socket)"
    if case == "key is a FIFO":
        crt, key = tls_files(folder, rsa_key(), good)
        key.unlink()
        os.mkfifo(key)
        return crt, key, f"{key}: not a regular file (a device, FIFO or socket)"
    if case == "key given as certificate":
        crt, key = tls_files(folder, rsa_key(), good)
        return key, key, f"{key}: no PEM certificate found (expected -----BEGIN CERTIFICATE-----)"
    raise AssertionError(case)


CASES = [
    "key does not match",
    "expired",
    "not yet valid",
    "foreign domain",
    "wildcard two labels up",
    "leaf not first",
    "chain out of order",
    "DER certificate",
    "DER key",
    "encrypted key without passphrase",
    "missing certificate file",
    "key given as certificate",
    "key is /dev/zero",
    "key is a FIFO",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_refused_and_nothing_is_written(tmp_path: Path, case: str) -> None:
    root = make_project(tmp_path)
    crt, key, message = _case(tmp_path, case)
    before = snapshot(root)
    result = cli(root, "seal", "tls", "clusterA", "--cert", str(crt), "--key", str(key))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "nothing was written" in result.output
    assert snapshot(root) == before
    assert pem_body(rsa_key()) not in result.output


def test_wrong_passphrase(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    crt = write_pem(tmp_path / "tls.crt", make_cert(rsa_key()))
    key = write_pem(tmp_path / "tls.key", rsa_key(), password=b"right")
    (tmp_path / "pass").write_text("wrong\n")
    code, output = _seal(root, crt, key, "--passphrase-file", str(tmp_path / "pass"))
    assert code == 2
    assert f"{key}: the passphrase does not decrypt the private key" in output


def test_missing_sealing_certificate(tmp_path: Path) -> None:
    root = make_project(tmp_path, sealing=False)
    before = snapshot(root)
    result = seal_default(root, tmp_path)
    assert result.exit_code == 2
    assert (
        "clusters/clusterA/sealed-secrets.pem: no sealing certificate; create the cluster's sealing key with: "
        "hubfleet keys new clusterA --out PATH-OUTSIDE-THE-REPOSITORY"
    ) in result.output
    assert snapshot(root) == before


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    root = make_project(tmp_path, sealing=False)
    _, key, _ = _case(tmp_path, "DER key")
    result = cli(root, "seal", "tls", "clusterA", "--cert", str(tmp_path / "nope.crt"), "--key", str(key))
    assert result.exit_code == 2
    assert "3 problems in the input; nothing was written" in result.output


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--name", "Bad_Name", "--name 'Bad_Name' is not a valid Secret name"),
        ("--namespace", "a.b", "--namespace 'a.b' is not a valid namespace"),
    ],
)
def test_invalid_names(tmp_path: Path, option: str, value: str, message: str) -> None:
    root = make_project(tmp_path)
    result = seal_default(root, tmp_path, option, value)
    assert result.exit_code == 2 and message in result.output
    assert not (root / "clusters/clusterA/secrets").exists()


def test_render_places_it_where_the_ingress_expects_it(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert seal_default(root, tmp_path).exit_code == 0
    result = cli(root, "render", "clusterA")
    assert result.exit_code == 0, result.output
    sealed = object_file(root, "SealedSecret", "clustera-tls")
    assert sealed.name == "clustera-tls.sealedsecret.yaml"
    (copied,) = load_docs(sealed)
    (original,) = load_docs(root / SEALED)
    assert copied == original
    assert f"  - {sealed.name}\n" in (sealed.parent / "kustomization.yaml").read_text()
    (ingress,) = load_docs(object_file(root, "Ingress", MASTER_INGRESS))
    assert ingress["metadata"]["namespace"] == copied["metadata"]["namespace"]
    assert ingress["spec"]["tls"][0]["secretName"] == copied["metadata"]["name"]


def test_the_file_is_a_header_then_the_manifest_as_emit_writes_it(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert seal_default(root, tmp_path).exit_code == 0
    text = (root / SEALED).read_text()
    manifest = load_file(root / SEALED, SEALED).data
    header = "".join(line + "\n" for line in text.splitlines()[:2])
    assert header.startswith("# SealedSecret ") and header.count("\n# ") == 1
    assert text == header + dump(manifest)


def test_the_committed_example_is_written_as_seal_tls_writes_it() -> None:
    # Reading it back and writing it again gives the same bytes: the committed file never churns.
    path = REPO / SEALED
    assert path.read_text() == serialise_sealed(load_file(path, SEALED).data, "clusterA")


def test_a_host_per_hub_cluster_needs_the_wildcard_sealed(tmp_path: Path) -> None:
    """With urls: host every hub is <hub>.<domain>: a certificate for the domain alone is refused."""
    root = make_project(tmp_path)
    cluster_file = root / "clusters/clusterA/cluster.yaml"
    cluster_file.write_text(cluster_file.read_text() + "urls: host\n")
    crt, key = tls_files(tmp_path / "tls", rsa_key(), make_cert(rsa_key(), (DOMAIN,)))
    result = cli(root, "seal", "tls", "clusterA", "--cert", str(crt), "--key", str(key))
    assert (result.exit_code, result.output) == (
        2,
        f"{crt}: the certificate does not cover *.{DOMAIN} (it names: {DOMAIN}), which urls: host needs (a "
        "host per hub)\n1 problem in the input; nothing was written\n",
    )
    crt, key = tls_files(tmp_path / "tls2", rsa_key(), make_cert(rsa_key(), (DOMAIN, f"*.{DOMAIN}")))
    assert cli(root, "seal", "tls", "clusterA", "--cert", str(crt), "--key", str(key)).exit_code == 0
