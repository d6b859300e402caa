"""`hubfleet unseal`: recovery and audits with the sealing private key, values shown only on request."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from conftest import load_docs
from hubfleet.sealing.certs import pem_private_key
from support.sealing import (
    SEALED,
    cli,
    ec_key,
    make_project,
    other_sealing_pair,
    pem,
    pem_body,
    rsa_key,
    seal_default,
    sealing_pair,
    write_pem,
)


@pytest.fixture
def sealed(tmp_path: Path) -> tuple[Path, Path]:
    """A project with a sealed TLS secret, and the sealing private key in a file outside it."""
    root = make_project(tmp_path)
    assert seal_default(root, tmp_path).exit_code == 0
    return root / SEALED, write_pem(tmp_path / "sealing.key", sealing_pair()[0])


def test_prints_names_and_certificate_facts_only(sealed: tuple[Path, Path]) -> None:
    file, key = sealed
    result = cli(None, "unseal", "--private-key", str(key), str(file))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{file}: Secret nginx-ingress/clustera-tls (kubernetes.io/tls), every value decrypts"
    assert lines[1].startswith(
        "  tls.crt: certificate 1: subject CN=clustera.hubs.example.org; SANs clustera"
    )
    assert lines[2] == "  tls.key: RSA private key of 2048 bits (hidden; --show prints the values)"
    assert lines[3] == "  tls.key matches the first certificate of tls.crt"
    assert pem_body(rsa_key()) not in result.output
    assert "PRIVATE KEY" not in result.output and "BEGIN" not in result.output


def test_show_prints_the_secret(sealed: tuple[Path, Path], tmp_path: Path) -> None:
    file, key = sealed
    result = cli(None, "unseal", "--private-key", str(key), str(file), "--show")
    assert result.exit_code == 0, result.output
    secret = YAML(typ="safe").load(result.output)
    assert secret["kind"] == "Secret" and secret["type"] == "kubernetes.io/tls"
    assert base64.b64decode(secret["data"]["tls.key"]) == pem_private_key(rsa_key())
    assert base64.b64decode(secret["data"]["tls.crt"]) == (tmp_path / "tls" / "tls.crt").read_bytes()


def test_several_keys_are_tried(sealed: tuple[Path, Path], tmp_path: Path) -> None:
    file, key = sealed
    other = write_pem(tmp_path / "other.key", other_sealing_pair()[0])
    result = cli(None, "unseal", "--private-key", str(other), "--private-key", str(key), str(file))
    assert result.exit_code == 0, result.output


def test_the_wrong_key_fails(sealed: tuple[Path, Path], tmp_path: Path) -> None:
    file, _ = sealed
    other = write_pem(tmp_path / "other.key", other_sealing_pair()[0])
    result = cli(None, "unseal", "--private-key", str(other), str(file))
    assert result.exit_code == 2
    assert (
        f"{file}: tls.crt does not decrypt with the given private key(s) as nginx-ingress/clustera-tls: "
        "it was sealed with another key, or for another name or namespace"
    ) in result.output


@pytest.mark.parametrize(("field", "value"), [("name", "renamed-tls"), ("namespace", "default")])
def test_a_renamed_or_moved_secret_fails(sealed: tuple[Path, Path], field: str, value: str) -> None:
    file, key = sealed
    (doc,) = load_docs(file)
    doc["metadata"][field] = value
    with file.open("w") as stream:
        YAML().dump(doc, stream)
    result = cli(None, "unseal", "--private-key", str(key), str(file))
    assert result.exit_code == 2
    assert "tls.crt does not decrypt with the given private key(s)" in result.output


def test_refuses_what_is_not_a_sealed_secret_or_an_rsa_key(sealed: tuple[Path, Path], tmp_path: Path) -> None:
    file, key = sealed
    not_sealed = tmp_path / "plain.yaml"
    not_sealed.write_text("apiVersion: v1\nkind: Secret\n")
    result = cli(None, "unseal", "--private-key", str(key), str(not_sealed))
    assert (
        result.exit_code == 2
        and f"{not_sealed}: expected a bitnami.com/v1alpha1 SealedSecret" in result.output
    )
    ec = tmp_path / "ec.key"
    ec.write_bytes(pem(ec_key()))
    result = cli(None, "unseal", "--private-key", str(ec), str(file))
    assert result.exit_code == 2 and f"{ec}: not an RSA private key; sealing keys are RSA" in result.output


def test_an_encrypted_sealing_key_needs_its_passphrase(sealed: tuple[Path, Path], tmp_path: Path) -> None:
    file, _ = sealed
    key = write_pem(tmp_path / "sealing-encrypted.key", sealing_pair()[0], password=b"backup phrase")
    result = cli(None, "unseal", "--private-key", str(key), str(file))
    assert result.exit_code == 2
    assert (
        f"{key}: the private key is encrypted; give its passphrase with --passphrase-file FILE"
        in result.output
    )
    result = cli(
        None,
        "unseal",
        "--private-key",
        str(key),
        "--passphrase-file",
        "-",
        str(file),
        input=b"backup phrase\n",
    )
    assert result.exit_code == 0, result.output
