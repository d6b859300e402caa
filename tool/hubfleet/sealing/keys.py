"""`hubfleet keys new`: the cluster's sealing key, made the way the sealed-secrets controller makes it.

The controller would generate its own key on first start, and a rebuilt cluster
would then get a new one that cannot read anything committed. Instead the key is
made once, here: its certificate is committed (anyone may seal with it) and the
private key goes to a file outside the repository, to be loaded into every build
of the cluster with sealed-secrets' bring-your-own-certificate procedure.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ..core.names import SEALED_SECRETS_CONTROLLER, SEALED_SECRETS_NAMESPACE
from ..errors import InputError, UsageError, os_error
from ..inputs.pipeline import load_cluster
from ..system.files import write_atomic
from ..system.lock import writing_inputs
from ..system.project import Project
from .crypto import fingerprint

#: The controller's defaults (--key-size, --key-ttl) and the subject of its documented BYO example.
KEY_BITS = 4096
PUBLIC_EXPONENT = 65537
VALIDITY = timedelta(days=3650)
SUBJECT = x509.Name(
    [
        x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sealed-secret"),
    ]
)
ACTIVE_KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key=active"


def generate_sealing_key(now: datetime, bits: int = KEY_BITS) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """An RSA key and its self-signed certificate, valid for ten years from `now`."""
    key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=bits)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(SUBJECT)
        .issuer_name(SUBJECT)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def _work_tree_top(root: Path) -> Path:
    """The outermost folder that holds the project in version control (a `.git` above it), else the root."""
    top = root
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            top = folder
    return top


def check_key_destination(project: Project, out: Path) -> Path:
    """The resolved private-key path, refused when it is inside the repository or already exists."""
    target = out.expanduser().resolve()
    for guarded in {project.root.resolve(), _work_tree_top(project.root.resolve())}:
        if target == guarded or guarded in target.parents:
            raise UsageError(
                f"--out {out}",
                f"refusing to write the private key inside the repository ({guarded}); "
                "choose a path outside it, e.g. in your password manager's folder",
            )
    if target.exists() or target.is_symlink():
        raise UsageError(f"--out {out}", "already exists; hubfleet never overwrites a private key")
    if not target.parent.is_dir():
        raise UsageError(f"--out {out}", f"folder {target.parent} does not exist")
    return target


def _write_private(path: Path, data: bytes) -> None:
    """Create the file exclusively with mode 0600, so no other user can ever read a partial key. A
    write that fails (a full disk) or falls short removes the file: an empty or partial key left
    behind would make every retry refuse ("already exists") and could be mistaken for the key."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(handle, 0o600)
        view = memoryview(data)
        while view:
            written = os.write(handle, view)
            view = view[written:]
        os.fsync(handle)
    except BaseException:
        os.close(handle)
        path.unlink(missing_ok=True)
        raise
    os.close(handle)


def key_secret_name(certificate_fingerprint: str) -> str:
    """A stable Secret name per key, so loading the same key into a rebuilt cluster is idempotent."""
    return "sealed-secrets-key-hubfleet-" + certificate_fingerprint.replace(":", "")[:12].lower()


@dataclass(frozen=True)
class NewSealingKey:
    """What `keys new` wrote, and the commands that load the key into a cluster."""

    certificate_path: Path
    private_key_path: Path
    fingerprint: str
    not_after: datetime
    commands: tuple[str, ...]


def byo_commands(certificate: Path, private_key: Path, secret: str) -> tuple[str, ...]:
    """sealed-secrets' bring-your-own-certificate steps: a labelled TLS Secret, then a restart."""
    namespace = SEALED_SECRETS_NAMESPACE
    return (
        f"kubectl -n {namespace} create secret tls {secret} "
        f"--cert={shlex.quote(str(certificate))} --key={shlex.quote(str(private_key))}",
        f"kubectl -n {namespace} label secret {secret} {ACTIVE_KEY_LABEL}",
        f"kubectl -n {namespace} rollout restart deployment/{SEALED_SECRETS_CONTROLLER}",
    )


def new_sealing_key(project: Project, cluster_name: str, out: Path, now: datetime) -> NewSealingKey:
    """Generate the key, write the private key to `out` (0600, new file) and commit-ready certificate."""
    cluster = load_cluster(project, cluster_name)
    cert_path = project.sealing_cert(cluster.name)
    if cert_path.exists():
        raise InputError.at(
            project.relative(cert_path),
            "the cluster already has a sealing certificate; every sealed secret depends on it. "
            "To replace the key, delete it first, then reseal every secret",
        )
    target = check_key_destination(project, out)
    key, certificate = generate_sealing_key(now)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    try:
        _write_private(target, private_pem)
    except OSError as error:
        raise os_error(
            error, str, "write the private key", "nothing was written; run the command again", str(target)
        ) from None
    try:
        with writing_inputs(project):
            write_atomic(cert_path, certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    digest = fingerprint(certificate)
    return NewSealingKey(
        certificate_path=cert_path,
        private_key_path=target,
        fingerprint=digest,
        not_after=certificate.not_valid_after_utc,
        commands=byo_commands(cert_path.resolve(), target, key_secret_name(digest)),
    )
