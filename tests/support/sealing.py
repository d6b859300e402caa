"""Builders shared by the sealing tests: a minimal project, certificates and keys made at test time.

No key is ever read from the repository: every key here is generated while the
tests run, in memory or under tmp_path. The 4096-bit sealing key is slow to make,
so it is made once per test session (cached), like a session-scoped fixture.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID

from hubfleet.cli import main
from hubfleet.sealing.keys import generate_sealing_key

NOW = datetime.now(UTC)
DOMAIN = "clustera.hubs.example.org"
SECRET = "clustera-tls"
SEALED = "clusters/clusterA/secrets/clustera-tls.sealedsecret.yaml"

CLUSTER_YAML = """\
name: {name}
region: us-west-2
accountId: "111122223333"
kubernetesVersion: "1.32"
domain: {domain}
zones: [us-west-2a, us-west-2b]
coreZone: us-west-2a
nodeGroups:
  tools: {{instanceType: t3a.medium, minSize: 1, maxSize: 2}}
  core: {{instanceType: t3a.medium, minSize: 1, maxSize: 2}}
  user: {{instanceType: t3a.large, minSize: 0, maxSize: 4}}
ingress:
  tlsSecretName: {secret}
flux:
  url: ssh://git@github.com/example-org/hubs.git
"""


def make_project(
    tmp_path: Path, *, name: str = "clusterA", domain: str = "clusterA.hubs.example.org", sealing: bool = True
) -> Path:
    """A project with one cluster and, unless `sealing` is False, the session's sealing certificate."""
    root = tmp_path / "project"
    folder = root / "clusters" / name
    folder.mkdir(parents=True)
    (folder / "cluster.yaml").write_text(CLUSTER_YAML.format(name=name, domain=domain, secret=SECRET))
    if sealing:
        write_pem(folder / "sealed-secrets.pem", sealing_pair()[1])
    return root


@cache
def sealing_pair() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """The sealing key, 4096 bits as the controller makes it: generated once per session."""
    return generate_sealing_key(NOW)


@cache
def other_sealing_pair() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """Another cluster's sealing key (2048 bits, to stay fast)."""
    return generate_sealing_key(NOW, bits=2048)


@cache
def rsa_key(index: int = 0) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def ec_key(index: int = 0) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def make_cert(
    key: CertificateIssuerPrivateKeyTypes,
    names: tuple[str, ...] = (DOMAIN,),
    *,
    common_name: str | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    issuer: tuple[CertificateIssuerPrivateKeyTypes, x509.Certificate] | None = None,
    ca: bool = False,
) -> x509.Certificate:
    """A certificate for `names` (SAN DNS; no SAN if empty), self-signed unless `issuer` is given."""
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common_name or (names[0] if names else "x"))]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[1].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - timedelta(days=1))
        .not_valid_after(not_after or NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
    return builder.sign(issuer[0] if issuer else key, hashes.SHA256())


def pem(item: object, password: bytes | None = None) -> bytes:
    if isinstance(item, x509.Certificate):
        return item.public_bytes(serialization.Encoding.PEM)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return item.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def write_pem(path: Path, *items: object, password: bytes | None = None) -> Path:
    path.write_bytes(b"".join(pem(item, password) for item in items))
    return path


def tls_files(
    folder: Path, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, *certs: x509.Certificate
) -> tuple[Path, Path]:
    """Write cert chain and key to `folder`/tls.crt and tls.key; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_pem(folder / "tls.crt", *certs), write_pem(folder / "tls.key", key)


def pem_body(item: object) -> str:
    """A line from the middle of the PEM, to prove it appears nowhere in a command's output."""
    lines = pem(item).decode().splitlines()
    return lines[len(lines) // 2]


def cli(root: Path | None, *args: str, input: bytes | None = None) -> Result:
    prefix = ["--root", str(root)] if root else []
    return CliRunner().invoke(main, [*prefix, *args], input=input, catch_exceptions=False)


def seal_default(root: Path, tmp_path: Path, *extra: str) -> Result:
    """Seal a valid certificate for the cluster's domain, made on the first call for `tmp_path`."""
    crt, key = tmp_path / "tls" / "tls.crt", tmp_path / "tls" / "tls.key"
    if not crt.exists():
        tls_files(tmp_path / "tls", rsa_key(), make_cert(rsa_key()))
    return cli(root, "seal", "tls", "clusterA", "--cert", str(crt), "--key", str(key), *extra)
