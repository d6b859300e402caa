"""The sealed-secrets value format, byte-compatible with bitnami-labs/sealed-secrets `HybridEncrypt`.

Each value: a fresh AES-256-GCM session key encrypts the plaintext under the zero
nonce (safe because the key is used once); RSA-OAEP with SHA-256 encrypts the
session key under a label that binds the value to its scope. The output is
`uint16 big-endian len(rsa) || rsa || aes+tag`, base64 with padding in the YAML.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import struct
from collections.abc import Mapping

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import NotDecryptable

SESSION_KEY_BYTES = 32
ZERO_NONCE = bytes(12)
CLUSTER_WIDE = "sealedsecrets.bitnami.com/cluster-wide"
NAMESPACE_WIDE = "sealedsecrets.bitnami.com/namespace-wide"


def strict_label(namespace: str, name: str) -> bytes:
    """The strict-scope label; the code upstream (not its docs) puts a `/` between the two."""
    return f"{namespace}/{name}".encode()


def scope_label(namespace: str, name: str, annotations: Mapping[str, str]) -> bytes:
    """The label the controller builds from a SealedSecret's own metadata when it unseals."""
    if annotations.get(CLUSTER_WIDE) == "true":
        return b""
    if annotations.get(NAMESPACE_WIDE) == "true":
        return namespace.encode()
    return strict_label(namespace, name)


def _oaep(label: bytes) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label or None)


def hybrid_encrypt(public_key: RSAPublicKey, plaintext: bytes, label: bytes) -> bytes:
    session_key = os.urandom(SESSION_KEY_BYTES)
    sealed_key = public_key.encrypt(session_key, _oaep(label))
    return (
        struct.pack(">H", len(sealed_key))
        + sealed_key
        + AESGCM(session_key).encrypt(ZERO_NONCE, plaintext, None)
    )


def hybrid_decrypt(private_key: RSAPrivateKey, ciphertext: bytes, label: bytes) -> bytes:
    """The plaintext, or NotDecryptable (the cause is never more specific: RSA-OAEP must not say)."""
    if len(ciphertext) < 2:
        raise NotDecryptable("value is too short to be sealed data")
    (length,) = struct.unpack(">H", ciphertext[:2])
    sealed_key, sealed_value = ciphertext[2 : 2 + length], ciphertext[2 + length :]
    try:
        session_key = private_key.decrypt(sealed_key, _oaep(label))
        return AESGCM(session_key).decrypt(ZERO_NONCE, sealed_value, None)
    except (ValueError, InvalidTag):
        raise NotDecryptable("value does not decrypt with this key and label") from None


def seal_value(public_key: RSAPublicKey, plaintext: bytes, label: bytes) -> str:
    """One `encryptedData` value: standard base64 with padding, no line breaks."""
    return base64.b64encode(hybrid_encrypt(public_key, plaintext, label)).decode("ascii")


def unseal_value(private_keys: list[RSAPrivateKey], value: str, label: bytes) -> bytes:
    """Try every key, as the controller does: sealed data carries no key id."""
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise NotDecryptable("value is not valid base64") from None
    for key in private_keys:
        try:
            return hybrid_decrypt(key, data, label)
        except NotDecryptable:
            continue
    raise NotDecryptable("value does not decrypt with the given key(s) and label")


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the DER certificate as `openssl x509 -noout -fingerprint -sha256` prints it."""
    return colon_hex(certificate.fingerprint(hashes.SHA256()))


def colon_hex(digest: bytes) -> str:
    return ":".join(f"{byte:02X}" for byte in digest)


def chain_fingerprint(pem_chain: bytes) -> str:
    """SHA-256 of the whole PEM chain, so adding a missing intermediate reseals."""
    return colon_hex(hashlib.sha256(pem_chain).digest())


def same_public_key(a: PublicKeyTypes, b: PublicKeyTypes) -> bool:
    """True when two public keys, of any algorithm, are the same key."""
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return a.public_bytes(*spki) == b.public_bytes(*spki)
