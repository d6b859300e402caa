"""`hubfleet keys new`: the sealing key pair, where each half goes, and what is printed."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import snapshot
from hubfleet.sealing.crypto import fingerprint, same_public_key
from hubfleet.sealing.keys import VALIDITY, generate_sealing_key, key_secret_name
from support.sealing import NOW, cli, make_project

PEM = "clusters/clusterA/sealed-secrets.pem"


def test_generated_like_the_controller() -> None:
    key, cert = generate_sealing_key(NOW, bits=2048)  # 4096 by default; see the CLI test below
    assert key.public_key().public_numbers().e == 65537
    assert same_public_key(cert.public_key(), key.public_key())
    assert cert.issuer == cert.subject
    assert cert.subject.rfc4514_string() == "O=sealed-secret,CN=sealed-secret"
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == VALIDITY
    cert.verify_directly_issued_by(cert)


def test_keys_new_writes_the_pair_and_prints_the_byo_procedure(tmp_path: Path) -> None:
    root = make_project(tmp_path, sealing=False)
    out = tmp_path / "vault" / "clusterA-sealing.key"
    out.parent.mkdir()
    result = cli(root, "keys", "new", "clusterA", "--out", str(out))
    assert result.exit_code == 0, result.output

    cert = x509.load_pem_x509_certificate((root / PEM).read_bytes())
    raw = out.read_bytes()
    assert raw.startswith(b"-----BEGIN RSA" + b" PRIVATE KEY-----\n")  # PKCS#1, as the controller stores it
    key = serialization.load_pem_private_key(raw, None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 4096
    assert same_public_key(cert.public_key(), key.public_key())
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    secret = key_secret_name(fingerprint(cert))
    lines = result.output.splitlines()
    assert f"wrote {PEM}: the sealing certificate (SHA-256 {fingerprint(cert)}" in lines[0]
    assert f"  kubectl -n kube-system create secret tls {secret} --cert={root / PEM} --key={out}" in lines
    assert (
        f"  kubectl -n kube-system label secret {secret} sealedsecrets.bitnami.com/sealed-secrets-key=active"
        in lines
    )
    assert "  kubectl -n kube-system rollout restart deployment/sealed-secrets-controller" in lines
    body = raw.decode().splitlines()
    assert not any(line in result.output for line in body[1:-1])
    assert "PRIVATE KEY" not in result.output

    # The committed certificate seals for this key; a second run refuses to replace it.
    again = cli(root, "keys", "new", "clusterA", "--out", str(tmp_path / "vault" / "other.key"))
    assert again.exit_code == 2
    assert f"{PEM}: the cluster already has a sealing certificate" in again.output
    assert not (tmp_path / "vault" / "other.key").exists()


@pytest.mark.parametrize("where", ["project root", "inside clusters", "work tree around the project"])
def test_refuses_a_private_key_inside_the_repository(tmp_path: Path, where: str) -> None:
    (tmp_path / ".git").mkdir()  # tmp_path is a work tree that holds the project
    root = make_project(tmp_path, sealing=False)
    out = {
        "project root": root / "sealing.key",
        "inside clusters": root / "clusters" / "clusterA" / ".." / "clusterA" / "sealing.key",
        "work tree around the project": tmp_path / "elsewhere" / "sealing.key",
    }[where]
    out.parent.mkdir(exist_ok=True)
    before = snapshot(tmp_path)
    result = cli(root, "keys", "new", "clusterA", "--out", str(out))
    assert result.exit_code == 2
    assert f"{out}: refusing to write the private key inside the repository" in result.output
    assert snapshot(tmp_path) == before


def test_refuses_to_overwrite_a_file(tmp_path: Path) -> None:
    root = make_project(tmp_path, sealing=False)
    out = tmp_path / "sealing.key"
    out.write_text("keep me")
    result = cli(root, "keys", "new", "clusterA", "--out", str(out))
    assert result.exit_code == 2
    assert f"{out}: already exists; hubfleet never overwrites a private key" in result.output
    assert out.read_text() == "keep me" and not (root / PEM).exists()


def test_refuses_a_missing_folder_and_an_unknown_cluster(tmp_path: Path) -> None:
    root = make_project(tmp_path, sealing=False)
    out = tmp_path / "no-such-folder" / "sealing.key"
    result = cli(root, "keys", "new", "clusterA", "--out", str(out))
    assert result.exit_code == 2 and f"folder {out.parent} does not exist" in result.output
    result = cli(root, "keys", "new", "clusterB", "--out", str(tmp_path / "k"))
    assert result.exit_code == 2 and "no such cluster 'clusterB'" in result.output


def test_a_full_disk_leaves_no_key_file_and_a_retry_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, sealing=False)
    out = tmp_path / "vault" / "clusterA.key"
    out.parent.mkdir()
    real = os.write

    def full(handle: int, data: object) -> int:
        if os.path.realpath(f"/proc/self/fd/{handle}") == str(out):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(handle, data)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "write", full)
    result = cli(root, "keys", "new", "clusterA", "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr == (
        f"{out}: cannot write the private key: No space left on device (no space left on the device; free some "
        "space and run the command again); nothing was written; run the command again\n"
    )
    assert not out.exists() and not (root / "clusters/clusterA/sealed-secrets.pem").exists()
    monkeypatch.undo()
    assert cli(root, "keys", "new", "clusterA", "--out", str(out)).exit_code == 0
    assert out.stat().st_size > 0
