"""The value format against the upstream description and two independent implementations.

kubeseal cannot be installed here, so compatibility is shown both ways against
other implementations of Bitnami's format: PyPI kubesealpy unseals what hubfleet
seals, and what npm @socialgouv/aes-gcm-rsa-oaep seals, `hubfleet unseal` reads.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from kubesealpy import NoMatchingKeyError, SealedSecret, Sealer, SealingScope, Unsealer

from conftest import require
from hubfleet.sealing.certs import pem_private_key
from hubfleet.sealing.crypto import (
    NotDecryptable,
    hybrid_decrypt,
    hybrid_encrypt,
    seal_value,
    strict_label,
    unseal_value,
)
from support.sealing import SEALED, cli, make_project, other_sealing_pair, pem, seal_default, sealing_pair
from support.sealing import rsa_key as tls_key

JS = Path(__file__).resolve().parents[2] / "js"


def test_round_trip_and_upstream_layout() -> None:
    key, cert = sealing_pair()
    public = cert.public_key()
    sealed = hybrid_encrypt(public, b"payload", strict_label("ns", "name"))  # type: ignore[arg-type]
    assert sealed[:2] == b"\x02\x00"  # 512-byte RSA block for a 4096-bit key
    assert len(sealed) == 2 + 512 + len(b"payload") + 16  # AES-GCM: same length plus a 16-byte tag
    assert hybrid_decrypt(key, sealed, b"ns/name") == b"payload"
    text = seal_value(public, b"x" * 10, b"ns/name")  # type: ignore[arg-type]
    assert text.startswith("Ag") and "\n" not in text and base64.b64decode(text, validate=True)


def test_each_seal_uses_a_fresh_session_key() -> None:
    _, cert = sealing_pair()
    label = strict_label("ns", "name")
    assert seal_value(cert.public_key(), b"same", label) != seal_value(cert.public_key(), b"same", label)  # type: ignore[arg-type]


@pytest.mark.parametrize("label", [b"other/name", b"ns/other", b"ns", b"", b"nsname"])
def test_another_label_does_not_decrypt(label: bytes) -> None:
    key, cert = sealing_pair()
    value = seal_value(cert.public_key(), b"payload", strict_label("ns", "name"))  # type: ignore[arg-type]
    with pytest.raises(NotDecryptable):
        unseal_value([key], value, label)


def test_another_key_does_not_decrypt_and_every_key_is_tried() -> None:
    key, cert = sealing_pair()
    other, _ = other_sealing_pair()
    value = seal_value(cert.public_key(), b"payload", b"ns/name")  # type: ignore[arg-type]
    with pytest.raises(NotDecryptable):
        unseal_value([other], value, b"ns/name")
    assert unseal_value([other, key], value, b"ns/name") == b"payload"


def test_kubesealpy_unseals_what_hubfleet_seals(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert seal_default(root, tmp_path).exit_code == 0
    text = (root / SEALED).read_text()
    unsealer = Unsealer.from_private_key(sealing_pair()[0])
    secret = unsealer.unseal(SealedSecret.from_yaml(text))
    data = secret.get_data_decoded()
    assert data["tls.crt"] == (tmp_path / "tls" / "tls.crt").read_bytes()
    assert data["tls.key"] == pem_private_key(tls_key())
    assert secret.type == "kubernetes.io/tls"
    assert (secret.metadata.namespace, secret.metadata.name) == ("nginx-ingress", "clustera-tls")


@pytest.mark.parametrize(("field", "value"), [("name", "renamed-tls"), ("namespace", "default")])
def test_kubesealpy_refuses_a_renamed_or_moved_secret(tmp_path: Path, field: str, value: str) -> None:
    root = make_project(tmp_path)
    assert seal_default(root, tmp_path).exit_code == 0
    moved = SealedSecret.from_yaml((root / SEALED).read_text())
    setattr(moved.metadata, field, value)
    with pytest.raises(NoMatchingKeyError):
        Unsealer.from_private_key(sealing_pair()[0]).unseal(moved)


def test_hubfleet_unseals_what_kubesealpy_seals() -> None:
    key, cert = sealing_pair()
    sealer = Sealer.from_certificate_pem(pem(cert))
    raw = sealer.seal_value(b"from kubesealpy", namespace="team", name="creds", scope=SealingScope.STRICT)
    value = base64.b64encode(raw).decode()
    assert unseal_value([key], value, strict_label("team", "creds")) == b"from kubesealpy"


def _npm_helper() -> Path:
    """The npm package, installed from tests/js/package-lock.json on first use."""
    node, npm = shutil.which("node"), shutil.which("npm")
    require(
        node is not None and npm is not None, "node and npm are not installed; the npm cross-check needs them"
    )
    assert npm is not None
    if not (JS / "node_modules" / "@socialgouv" / "aes-gcm-rsa-oaep").is_dir():
        done = subprocess.run(
            [npm, "ci", "--prefix", str(JS), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    return JS / "seal.js"


def _seal_with_npm(tmp_path: Path, namespace: str, name: str, values: dict[str, str]) -> Path:
    cert = tmp_path / "sealing.pem"
    cert.write_bytes(pem(sealing_pair()[1]))
    done = subprocess.run(
        ["node", str(_npm_helper()), str(cert), namespace, name],
        input=json.dumps(values),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = tmp_path / f"{name}.sealedsecret.yaml"
    out.write_text(done.stdout)
    return out


def _write_key(tmp_path: Path) -> Path:
    path = tmp_path / "sealing.key"
    path.write_bytes(pem(sealing_pair()[0]))
    return path


def test_hubfleet_unseals_what_the_npm_package_seals(tmp_path: Path) -> None:
    values = {"username": "admin", "password": "correct horse battery staple"}
    sealed = _seal_with_npm(tmp_path, "team", "creds", values)
    result = cli(None, "unseal", "--private-key", str(_write_key(tmp_path)), str(sealed), "--show")
    assert result.exit_code == 0, result.output
    assert base64.b64encode(values["password"].encode()).decode() in result.output
    assert "name: creds" in result.output and "namespace: team" in result.output


@pytest.mark.parametrize(("field", "value"), [("name", "renamed"), ("namespace", "other")])
def test_npm_output_moved_to_another_name_or_namespace_does_not_decrypt(
    tmp_path: Path, field: str, value: str
) -> None:
    sealed = _seal_with_npm(tmp_path, "team", "creds", {"password": "s3cret"})
    manifest = json.loads(sealed.read_text())
    manifest["metadata"][field] = value
    sealed.write_text(json.dumps(manifest))
    result = cli(None, "unseal", "--private-key", str(_write_key(tmp_path)), str(sealed))
    assert result.exit_code == 2
    assert "password does not decrypt with the given private key(s)" in result.output
    assert "s3cret" not in result.output
