"""`hubfleet unseal`: decrypt a SealedSecret offline with the sealing private key, for recovery and audits.

It decrypts as the controller does: the label comes from the SealedSecret's own
namespace, name and scope annotations, and every given key is tried. By default
only key names and public certificate facts are described; the values themselves
are shown only on request.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from ..errors import InputError, NotDecryptable
from ..inputs.load import load_file
from .certs import certificate_facts, load_private_key, read_pem_file
from .crypto import same_public_key, scope_label, unseal_value
from .sealedsecret import API_VERSION, KIND, manifest_annotations, manifest_identity, mapping

CERT_MARK = b"-----BEGIN CERTIFICATE-----"


@dataclass(frozen=True)
class Unsealed:
    """A decrypted SealedSecret: the Secret the controller would create from it."""

    name: str
    namespace: str
    type: str
    template_metadata: dict[str, Any]
    values: dict[str, bytes]

    def secret(self) -> dict[str, Any]:
        """The v1 Secret, as `kubeseal --recovery-unseal` prints it (values base64 in `data`)."""
        metadata: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        for field in ("labels", "annotations"):
            if self.template_metadata.get(field):
                metadata[field] = self.template_metadata[field]
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": metadata,
            "type": self.type,
            "data": {key: base64.b64encode(value).decode("ascii") for key, value in self.values.items()},
        }


def load_unsealing_keys(paths: list[Path], passphrase: bytes | None = None) -> list[RSAPrivateKey]:
    keys = []
    for path in paths:
        display = str(path)
        key = load_private_key(read_pem_file(path, display), display, passphrase)
        if not isinstance(key, RSAPrivateKey):
            raise InputError.at(display, "not an RSA private key; sealing keys are RSA")
        keys.append(key)
    return keys


def unseal_file(path: Path, display: str, keys: list[RSAPrivateKey]) -> Unsealed:
    """Decrypt every value of the SealedSecret in `path`, or InputError naming the value that failed."""
    manifest = load_file(path, display).data
    if manifest.get("apiVersion") != API_VERSION or manifest.get("kind") != KIND:
        raise InputError.at(display, f"expected a {API_VERSION} {KIND}")
    spec = mapping(manifest.get("spec"))
    template = mapping(spec.get("template"))
    namespace, name = manifest_identity(manifest)
    if not name or not namespace:
        raise InputError.at(display, "metadata.name and metadata.namespace are needed to decrypt it")
    encrypted = mapping(spec.get("encryptedData"))
    if not encrypted:
        raise InputError.at(display, "spec.encryptedData is empty or missing")
    label = scope_label(namespace, name, manifest_annotations(manifest))
    values = {}
    for key, value in sorted(encrypted.items()):
        try:
            values[key] = unseal_value(keys, str(value), label)
        except NotDecryptable:
            raise NotDecryptable(
                f"{display}: {key} does not decrypt with the given private key(s) as {namespace}/{name}: "
                "it was sealed with another key, or for another name or namespace"
            ) from None
    return Unsealed(
        name, namespace, str(template.get("type", "Opaque")), mapping(template.get("metadata")), values
    )


def _describe_value(value: bytes) -> list[str]:
    """Public facts of one value: certificate facts, the kind of a private key, else its size."""
    if CERT_MARK in value:
        try:
            chain = x509.load_pem_x509_certificates(value)
        except ValueError:
            return ["PEM that does not parse as certificates (hidden)"]
        lines = []
        for number, certificate in enumerate(chain, 1):
            facts = certificate_facts(certificate)
            lines.append(
                f"certificate {number}: subject {facts.subject}; SANs {', '.join(facts.sans) or 'none'}; "
                f"not after {facts.not_after:%Y-%m-%d %H:%M UTC}; SHA-256 {facts.fingerprint}"
            )
        return lines
    try:
        key = serialization.load_pem_private_key(value, None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return [f"{len(value)} bytes (hidden; --show prints the values)"]
    kind = type(key).__name__.removesuffix("PrivateKey")
    size = getattr(key, "key_size", None)
    return [f"{kind} private key{f' of {size} bits' if size else ''} (hidden; --show prints the values)"]


def describe(unsealed: Unsealed, display: str) -> list[str]:
    """What `unseal` prints without --show: names and public facts, never a value."""
    lines = [
        f"{display}: Secret {unsealed.namespace}/{unsealed.name} ({unsealed.type}), every value decrypts"
    ]
    for key, value in unsealed.values.items():
        facts = _describe_value(value)
        lines.append(f"  {key}: {facts[0]}")
        lines.extend(f"    {line}" for line in facts[1:])
    crt, tls_key = unsealed.values.get("tls.crt"), unsealed.values.get("tls.key")
    if crt and tls_key and CERT_MARK in crt:
        try:
            leaf = x509.load_pem_x509_certificates(crt)[0]
            match = same_public_key(
                leaf.public_key(), serialization.load_pem_private_key(tls_key, None).public_key()
            )
        except (ValueError, TypeError, UnsupportedAlgorithm):
            match = False
        lines.append(f"  tls.key {'matches' if match else 'does NOT match'} the first certificate of tls.crt")
    return lines
