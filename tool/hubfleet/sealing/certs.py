"""Read and check certificates and private keys given by a person, before anything is sealed.

Every check here is about public facts (names, dates, order, which key a certificate
carries); messages name files, never their contents, so no key material can leak
into a terminal or a CI log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID

from ..errors import Diagnostic, InputError
from ..system.files import Refused, read_regular
from .crypto import fingerprint, same_public_key

MAX_PEM_BYTES = 1024 * 1024
EXPIRY_WARNING = timedelta(days=30)
MIN_SEALING_BITS = 2048
DER_SEQUENCE = 0x30


def _refuse(file: str, message: str) -> InputError:
    return InputError([Diagnostic(file, 0, 0, "", message)])


def read_pem_file(path: Path, display: str) -> bytes:
    """The bytes of a small key or certificate file, or InputError saying why not (a FIFO or
    /dev/zero is refused, not read: see system/files.py)."""
    try:
        return read_regular(path, MAX_PEM_BYTES)
    except Refused as refused:
        reason = refused.reason
        if reason.startswith("file is larger"):
            reason += "; expected a PEM file"
        raise _refuse(display, reason) from None


def _looks_like_der(data: bytes) -> bool:
    return b"-----BEGIN" not in data and data[:1] == bytes([DER_SEQUENCE])


def load_certificates(data: bytes, display: str) -> list[x509.Certificate]:
    """Every certificate of a PEM file, in file order."""
    if _looks_like_der(data):
        raise _refuse(
            display,
            f"expected PEM, found DER; convert with: openssl x509 -inform der -in {display} -out cert.pem",
        )
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise _refuse(display, "no PEM certificate found (expected -----BEGIN CERTIFICATE-----)") from None


def load_private_key(data: bytes, display: str, passphrase: bytes | None) -> PrivateKeyTypes:
    """The private key of a PEM file (PKCS#1, PKCS#8 or SEC1; encrypted only with its passphrase)."""
    if _looks_like_der(data):
        raise _refuse(
            display,
            f"expected PEM, found DER; convert with: openssl pkey -inform der -in {display} -out key.pem",
        )
    try:
        return serialization.load_pem_private_key(data, passphrase)
    except TypeError:
        if passphrase is None:
            raise _refuse(
                display,
                "the private key is encrypted; give its passphrase with --passphrase-file FILE "
                "(- reads it from standard input)",
            ) from None
        return serialization.load_pem_private_key(data, None)
    except ValueError:
        message = (
            "the passphrase does not decrypt the private key" if passphrase else "no PEM private key found"
        )
        raise _refuse(display, message) from None
    except UnsupportedAlgorithm:
        raise _refuse(display, "the private key uses an algorithm this system does not support") from None


def load_sealing_certificate(
    path: Path, display: str, cluster: str, now: datetime | None = None
) -> x509.Certificate:
    """The cluster's committed sealing certificate: present, RSA of 2048 bits or more (not expired at `now`)."""
    if not path.is_file():
        raise _refuse(
            display,
            "no sealing certificate; create the cluster's sealing key with: "
            f"hubfleet keys new {cluster} --out PATH-OUTSIDE-THE-REPOSITORY",
        )
    certificates = load_certificates(read_pem_file(path, display), display)
    if len(certificates) != 1:
        raise _refuse(display, f"expected one sealing certificate, found {len(certificates)}")
    certificate = certificates[0]
    key = certificate.public_key()
    if not isinstance(key, RSAPublicKey) or key.key_size < MIN_SEALING_BITS:
        raise _refuse(
            display, f"a sealing certificate must carry an RSA key of {MIN_SEALING_BITS} bits or more"
        )
    if now is not None and certificate.not_valid_after_utc <= now:
        raise _refuse(display, f"the sealing certificate expired on {_date(certificate.not_valid_after_utc)}")
    return certificate


@dataclass(frozen=True)
class CertFacts:
    """What anyone may know about a certificate: enough to audit it without the secret."""

    subject: str
    sans: tuple[str, ...]
    not_after: datetime
    fingerprint: str
    #: The names it is valid for: its SAN DNS names, or its CN when it has no SAN at all.
    dns_names: tuple[str, ...]


def valid_names(subject: x509.Name, sans: tuple[str, ...]) -> tuple[str, ...]:
    common_names = subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return sans or tuple(str(attribute.value) for attribute in common_names)


def certificate_facts(certificate: x509.Certificate) -> CertFacts:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        sans = tuple(extension.value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        sans = ()
    return CertFacts(
        certificate.subject.rfc4514_string(),
        sans,
        certificate.not_valid_after_utc,
        fingerprint(certificate),
        valid_names(certificate.subject, sans),
    )


def name_covers(pattern: str, host: str) -> bool:
    """RFC 6125: a wildcard is a whole left-most label and stands for exactly one label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if not pattern.startswith("*."):
        return pattern == host
    head, _, rest = host.partition(".")
    return bool(head) and "*" not in pattern[2:] and rest == pattern[2:]


def covers(names: Iterable[str], host: str) -> bool:
    return any(name_covers(name, host) for name in names)


def _date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _subject(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string() or "(empty subject)"


def _chain_problems(chain: list[x509.Certificate]) -> list[str]:
    """Each certificate after the first must be the issuer of the one before it."""
    problems = []
    for number, (child, issuer) in enumerate(pairwise(chain), start=1):
        try:
            child.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            problems.append(
                f"certificate {number + 1} ({_subject(issuer)}) did not issue certificate {number} "
                f"({_subject(child)}); list the leaf first, then each issuer in turn"
            )
    return problems


def check_tls_pair(
    chain: list[x509.Certificate],
    key: PrivateKeyTypes,
    domain: str,
    now: datetime,
    cert_display: str,
    key_display: str,
    hosts: tuple[str, ...] = (),
) -> list[str]:
    """Refuse a pair the ingress could not serve for `domain` (and every name in `hosts`: the
    wildcard of a host-per-hub cluster); return warnings (expiring soon)."""
    hosts = hosts or (domain,)
    problems: list[Diagnostic] = []

    def refuse(file: str, message: str) -> None:
        problems.append(Diagnostic(file, 0, 0, "", message))

    leaf = chain[0]
    if not same_public_key(leaf.public_key(), key.public_key()):
        match = next(
            (n for n, c in enumerate(chain, 1) if same_public_key(c.public_key(), key.public_key())), 0
        )
        if match:
            refuse(
                cert_display,
                f"the key matches certificate {match}, not the first; put the leaf certificate first",
            )
        else:
            refuse(key_display, f"the private key does not match the certificate in {cert_display}")
    for message in _chain_problems(chain):
        refuse(cert_display, message)
    names = certificate_facts(leaf).dns_names
    missing = [host for host in hosts if not covers(names, host)]
    if missing:
        why = "" if missing == [domain] else ", which urls: host needs (a host per hub)"
        refuse(
            cert_display,
            f"the certificate does not cover {' and '.join(missing)} (it names: {', '.join(names) or 'nothing'}){why}",
        )
    if leaf.not_valid_after_utc <= now:
        refuse(cert_display, f"the certificate expired on {_date(leaf.not_valid_after_utc)}")
    elif leaf.not_valid_before_utc > now:
        refuse(cert_display, f"the certificate is not valid before {_date(leaf.not_valid_before_utc)}")
    if problems:
        raise InputError(problems)
    if leaf.not_valid_after_utc - now <= EXPIRY_WARNING:
        return [
            f"{cert_display}: the certificate expires on {_date(leaf.not_valid_after_utc)}; renew it soon"
        ]
    return []


def pem_chain(chain: list[x509.Certificate]) -> bytes:
    """tls.crt: the chain as given, re-encoded so comments and bag attributes are not sealed."""
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)


def pem_private_key(key: PrivateKeyTypes) -> bytes:
    """tls.key: unencrypted PKCS#8, which nginx reads for every key type."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
